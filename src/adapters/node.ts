import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Cookies } from "../cookies/jar.ts";
import type { SessionManager } from "../engine/manager.ts";
import { StoreUnavailableError } from "../errors.ts";
import type { Session } from "../session/session.ts";
import { type CommitHook, commitBeforeSending } from "./node-response.ts";

/** What a node:http handler gets besides req and res. */
export interface NodeSessionContext<T extends object> {
  /** The request's session, loaded on first call. */
  session(): Promise<Session<T>>;
  /** The request's cookies, and the Set-Cookie headers this response will carry. */
  readonly cookies: Cookies;
}

export type NodeSessionHandler<T extends object> = (
  req: IncomingMessage,
  res: ServerResponse,
  context: NodeSessionContext<T>,
) => unknown;

export interface NodeAdapterOptions {
  /**
   * Answers a request whose handler threw or whose session could not be stored. The default
   * sends 503 for a store outage and 500 (logging the error) for anything else.
   */
  readonly onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Gives a node:http request its session and cookies, and commits them before the response's
 * headers go out. Lower level than `withSessions`, for servers that route on their own.
 */
export function attachSessions<T extends object>(
  manager: SessionManager<T>,
  req: IncomingMessage,
  res: ServerResponse,
  onCommitFailure: (error: unknown) => void,
): NodeSessionContext<T> & CommitHook {
  const scope = manager.begin({
    cookieHeader: req.headers.cookie,
    encrypted: (req.socket as Partial<TLSSocket>).encrypted === true,
    forwardedProto: headerValue(req.headers["x-forwarded-proto"]),
  });
  const hook = commitBeforeSending(res, () => scope.commit(), onCommitFailure);
  return {
    session: () => scope.session(),
    cookies: scope.cookies,
    abandon: hook.abandon,
  };
}

/**
 * Wraps a node:http request handler: `createServer(withSessions(sessions, async (req, res,
 * { session }) => { ... }))`. The session is committed when the handler first sends.
 */
export function withSessions<T extends object>(
  manager: SessionManager<T>,
  handler: NodeSessionHandler<T>,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const onError = options.onError ?? defaultOnError;
  return (req, res) => {
    const context = attachSessions(manager, req, res, (error) => onError(error, req, res));
    const fail = (error: unknown): void => {
      // A failed handler's session changes are not saved, as in Flask.
      context.abandon();
      onError(error, req, res);
    };
    try {
      const result = handler(req, res, context);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}

/** 503 for a store outage (retry later), 500 for a bug (logged); never a crash. */
export function defaultOnError(error: unknown, _req: IncomingMessage, res: ServerResponse): void {
  const unavailable = error instanceof StoreUnavailableError;
  if (!unavailable) console.error("tessera: request handler failed:", error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = unavailable
    ? "503 Service Unavailable: the session store is not answering; try again shortly.\n"
    : "500 Internal Server Error\n";
  res.writeHead(unavailable ? 503 : 500, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...(unavailable ? { "Retry-After": "1" } : {}),
  });
  res.end(body);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
