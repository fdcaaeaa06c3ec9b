import type { SessionManager } from "../../src/engine/manager.ts";
import type { Session } from "../../src/session/session.ts";

/**
 * One request through the engine, as an adapter makes it: begin with `cookieHeader`, let
 * `handle` use the session, commit as a 200. Gives the session, the headers and the new cookie
 * as `name=value` (what a browser sends back), if one was set.
 */
export async function engineRequest<T>(
  sessions: SessionManager<T>,
  cookieHeader: string | undefined,
  handle: (session: Session<T>) => void,
) {
  const scope = sessions.begin({ cookieHeader, encrypted: false });
  const session = await scope.session();
  handle(session);
  const headers = await scope.commit(200);
  const cookie = headers.setCookie[0]?.split(";")[0];
  return { session, headers, cookie };
}
