/**
 * `tessera/express`: sessions and cookies for Express 5 and 4, with express-session's
 * `req.session`, so code (and Passport) written for express-session runs unchanged:
 *
 * ```ts
 * app.use(expressSessions(sessions));
 * app.get("/", (req, res) => { req.session.views = (req.session.views ?? 0) + 1; ... });
 * ```
 *
 * Underneath it is tessera: the session is loaded once per request (no store read without a
 * cookie), changes are per-key patches applied atomically by the store, and they are stored
 * before the response leaves (express-session saves while the response is already going out).
 * `req.tessera.session` is the same session through tessera's typed API.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Cookies } from "../../cookies/jar.ts";
import type { SessionManager } from "../../engine/manager.ts";
import type { Session } from "../../session/session.ts";
import type { SessionCookieView } from "../cookie-view.ts";
import { defaultOnError } from "../node.ts";
import { beginNodeRequest } from "../node-request.ts";
import { attachToRequest, ExpressRequestSessions } from "./request-properties.ts";
import type { ExpressSession, ExpressSessionMethods, SessionSlot } from "./session-view.ts";

export type { ExpressSession, ExpressSessionMethods, SessionCookieView };

/**
 * The session's keys and value types, declared once as with express-session:
 * `declare module "tessera/express" { interface SessionData { views: number } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface for applications to augment.
export interface SessionData {}

/** tessera's own API for the request, beside express-session's `req.session`. */
export interface TesseraExpressRequest {
  /** The request's session through tessera's typed API (the same session as `req.session`). */
  readonly session: Session<SessionData>;
  /** The request's cookies, and the Set-Cookie headers its response will carry. */
  readonly cookies: Cookies;
}

declare global {
  namespace Express {
    interface Request {
      /** The request's session and cookies through tessera's own API (see tessera/express). */
      tessera: TesseraExpressRequest;
    }
  }
}

export interface ExpressSessionsOptions {
  /**
   * Answers a request whose session could not be loaded or stored. The default sends 503 with
   * Retry-After for a store outage and 500 (logging the error) otherwise.
   */
  readonly onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

type Next = (error?: unknown) => void;

/**
 * The Express middleware: `app.use(expressSessions(sessions))` gives each request
 * `req.session` (express-session's), `req.sessionID`, and `req.tessera.session` /
 * `req.tessera.cookies` (tessera's). The session is committed when the response starts, and
 * an error response (500 and above, such as Express's own for a handler that threw) saves
 * nothing.
 */
export function expressSessions<T>(
  manager: SessionManager<T>,
  options: ExpressSessionsOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const onError = options.onError ?? defaultOnError;
  const { cookie, lifetimeMs } = manager.options;
  return (req, res, next) => {
    const { scope, fail } = beginNodeRequest(manager, req, res, (error) =>
      onError(error, req, res),
    );
    const attach = (session: Session<T>): void => {
      const slot: SessionSlot = {
        current: undefined,
        destroyed: false,
        host: { session: session as Session<Record<string, unknown>>, scope },
        cookie,
        lifetimeMs,
      };
      attachToRequest(req, new ExpressRequestSessions(slot, scope.cookies));
      next();
    };
    const loading = scope.load();
    // Loaded at once (no cookie, or a cookie session): on to the route in the same tick.
    const loaded = scope.loadedSession();
    if (loaded !== undefined) attach(loaded);
    else loading.then(attach, fail);
  };
}
