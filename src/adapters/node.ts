import type { IncomingMessage, ServerResponse } from "node:http";
import type { Cookies } from "../cookies/jar.ts";
import { errorResponse } from "../engine/error-response.ts";
import type { SessionManager } from "../engine/manager.ts";
import type { Session } from "../session/session.ts";
import { beginNodeRequest } from "./node-request.ts";

/** What a node:http handler gets besides req and res. */
export interface NodeSessionContext<T> {
  /** The request's session, loaded on first call. */
  session(): Promise<Session<T>>;
  /** The request's cookies, and the Set-Cookie headers this response will carry. */
  readonly cookies: Cookies;
}

/** `attachSessions`' context, plus what to call when the handler fails. */
export interface AttachedSessions<T> extends NodeSessionContext<T> {
  /**
   * Reports a handler failure. Before the response started, nothing is saved and `onError`
   * answers (500, or 503 for a store outage); after, the response the handler began stands
   * (it is cut off only if it can never be completed) and the error is logged.
   */
  fail(error: unknown): void;
}

export type NodeSessionHandler<T> = (
  req: IncomingMessage,
  res: ServerResponse,
  context: NodeSessionContext<T>,
) => unknown;

export interface NodeAdapterOptions {
  /**
   * Answers a request whose handler threw before responding, or whose session could not be
   * stored. The default sends 503 for a store outage and 500 (logging the error) otherwise.
   */
  readonly onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Gives a node:http request its session and cookies, and commits them before the response's
 * headers go out. Lower level than `withSessions`, for servers that route on their own.
 */
export function attachSessions<T>(
  manager: SessionManager<T>,
  req: IncomingMessage,
  res: ServerResponse,
  options: NodeAdapterOptions = {},
): AttachedSessions<T> {
  const onError = options.onError ?? defaultOnError;
  const { scope, fail } = beginNodeRequest(manager, req, res, (error) => onError(error, req, res));
  return { session: () => scope.session(), cookies: scope.cookies, fail };
}

/**
 * Wraps a node:http request handler: `createServer(withSessions(sessions, async (req, res,
 * { session }) => { ... }))`. The session is committed when the handler first sends.
 */
export function withSessions<T>(
  manager: SessionManager<T>,
  handler: NodeSessionHandler<T>,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const attached = attachSessions(manager, req, res, options);
    const context: NodeSessionContext<T> = { session: attached.session, cookies: attached.cookies };
    try {
      const result = handler(req, res, context);
      if (result instanceof Promise) result.catch(attached.fail);
    } catch (error) {
      attached.fail(error);
    }
  };
}

/** Sends the engine's error response (503 for a store outage, 500 for a bug); never a crash. */
export function defaultOnError(error: unknown, _req: IncomingMessage, res: ServerResponse): void {
  const answer = errorResponse(error);
  if (answer.log) console.error("tessera: request failed:", error);
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  // The handler's headers (its Content-Encoding, cookies, ETag) describe a response that is
  // not being sent; none of them belongs on the error.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
