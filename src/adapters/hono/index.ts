/**
 * `tessera/hono`: Hono middleware over Web `Request`/`Response`, on Node, Bun, Deno and
 * Cloudflare Workers. `c.get("session")` / `c.var.session` is the request's tessera Session and
 * `c.var.cookies` its cookies, typed through Hono's `Variables`:
 *
 * ```ts
 * const app = new Hono<SessionEnv<{ user: string }>>();
 * app.use(honoSessions(sessions));
 * app.get("/", (c) => c.json({ user: c.var.session.get("user") ?? null }));
 * ```
 *
 * The session is committed after the handlers ran and before the response is returned to the
 * server: the store write is durable before the client sees a byte. A handler that threw
 * (`c.error`), or a response of 500 or more, saves nothing.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Cookies } from "../../cookies/jar.ts";
import type { SessionManager } from "../../engine/manager.ts";
import type { RequestInfo } from "../../engine/request-scope.ts";
import type { Session } from "../../session/session.ts";
import { webErrorResponse, webRequestInfo, withSessionHeaders } from "../fetch/web-response.ts";
import { isNodeRequest, nodeRequestInfo } from "../node-request-info.ts";

/** The Hono environment the middleware adds: `new Hono<SessionEnv<MySession>>()`. */
export interface SessionEnv<T = Record<string, unknown>> {
  Variables: {
    /** The request's session (loaded before the handlers run; no cookie, no store read). */
    session: Session<T>;
    /** The request's cookies, and the Set-Cookie headers its response will carry. */
    cookies: Cookies;
  };
}

/**
 * What the engine needs of the request. On Node, @hono/node-server passes the IncomingMessage
 * as `c.env.incoming`: its headers are read there, because reading them from `c.req.raw` makes
 * node-server build a whole Headers object (its Request is lazy), which cost more than the
 * session read itself. Elsewhere (Bun, Deno, Workers) the Web Request is what there is.
 */
function requestInfoOf(c: Context): RequestInfo {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (isNodeRequest(incoming)) return nodeRequestInfo(incoming);
  return webRequestInfo(c.req.raw);
}

/** The middleware: `app.use(honoSessions(sessions))`. */
export function honoSessions<T>(manager: SessionManager<T>): MiddlewareHandler<SessionEnv<T>> {
  return async (c, next) => {
    const scope = manager.begin(requestInfoOf(c));
    // Loaded now, counted as used only when the handler touches it: a route that never looks
    // at its session sends no cookie and no Vary. No await when it loaded at once.
    const loading = scope.load();
    let session = scope.loadedSession();
    if (session === undefined) {
      try {
        session = await loading;
      } catch (error) {
        scope.discard();
        return webErrorResponse(error);
      }
    }
    c.set("session", session);
    c.set("cookies", scope.cookies);
    await next();
    if (c.error !== undefined) {
      scope.discard();
      return;
    }
    try {
      const committing = scope.commit(c.res.status);
      const headers = committing instanceof Promise ? await committing : committing;
      const response = withSessionHeaders(c.res, headers);
      if (response !== c.res) {
        // A copy (the handler's headers could not be changed). Hono's setter would merge the
        // old response's Set-Cookie over the copy's: clear it first.
        c.res = undefined;
        c.res = response;
      }
    } catch (error) {
      // The response reports a change that could not be stored: none of it is sent.
      await c.res.body?.cancel().catch(() => {});
      c.res = undefined;
      c.res = webErrorResponse(error);
    }
    return;
  };
}
