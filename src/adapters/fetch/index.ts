/**
 * `tessera/fetch`: sessions for a plain Web `fetch` handler, with no framework: Bun.serve,
 * Deno.serve, Cloudflare Workers, or any server that speaks `Request` and `Response`.
 *
 * ```ts
 * export default {
 *   fetch: withSessions(sessions, async (request, { session }) => {
 *     const s = await session();
 *     return Response.json({ user: s.get("user") ?? null });
 *   }),
 * };
 * ```
 *
 * The session is committed after the handler returns its Response and before it is handed to
 * the server, so the store write is durable before the client sees a byte. A handler that
 * throws, or answers 500 or more, saves nothing.
 */
import type { Cookies } from "../../cookies/jar.ts";
import type { SessionManager } from "../../engine/manager.ts";
import type { Session } from "../../session/session.ts";
import { webErrorResponse, webRequestInfo, withSessionHeaders } from "./web-response.ts";

/** What the handler gets besides the request. */
export interface FetchSessionContext<T> {
  /** The request's session, loaded on first call (no cookie, no store read). */
  session(): Promise<Session<T>>;
  /** The request's cookies, and the Set-Cookie headers its response will carry. */
  readonly cookies: Cookies;
}

export type FetchSessionHandler<T, Extra extends unknown[]> = (
  request: Request,
  context: FetchSessionContext<T>,
  ...extra: Extra
) => Response | Promise<Response>;

/**
 * Wraps a fetch handler. Arguments after the request (a Worker's `env` and `ctx`, Bun's server)
 * are passed on after the context.
 */
export function withSessions<T, Extra extends unknown[] = []>(
  manager: SessionManager<T>,
  handler: FetchSessionHandler<T, Extra>,
): (request: Request, ...extra: Extra) => Promise<Response> {
  return async (request, ...extra) => {
    const scope = manager.begin(webRequestInfo(request));
    let response: Response;
    try {
      response = await handler(
        request,
        { session: () => scope.session(), cookies: scope.cookies },
        ...extra,
      );
    } catch (error) {
      scope.discard();
      return webErrorResponse(error);
    }
    try {
      return withSessionHeaders(response, await scope.commit(response.status));
    } catch (error) {
      // The handler's response reports a change that could not be stored: it is not sent.
      await response.body?.cancel().catch(() => {});
      return webErrorResponse(error);
    }
  };
}
