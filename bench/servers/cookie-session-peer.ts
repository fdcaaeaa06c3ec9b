/**
 * Peer for the cookie formats: cookie-session (the session as base64 JSON in one cookie, an
 * HMAC in a second, `session.sig`, by keygrip), called from node:http as a middleware with
 * `keys: [secret]` and an httpOnly, SameSite=Lax cookie lasting tessera's lifetime. The workload
 * is cookie-workload.ts's; BENCH_WORKLOAD picks read or write. cookie-session re-issues its
 * cookies only when the session changed, which it finds out by serializing it again.
 */
import type { IncomingMessage } from "node:http";
import cookieSession from "cookie-session";
import {
  answer,
  type CookieSessionData,
  LIFETIME_SECONDS,
  LOGIN,
  nextCount,
  SECRET,
} from "./cookie-workload.ts";
import { benchWorkload, sendJson, serve } from "./serve.ts";

const workload = benchWorkload();
const middleware = cookieSession({
  name: "session",
  keys: [SECRET],
  maxAge: LIFETIME_SECONDS * 1000,
  httpOnly: true,
  sameSite: "lax",
});

type SessionRequest = IncomingMessage & { session: Partial<CookieSessionData> | null };

serve((req, res) => {
  // The middleware touches nothing of Express's: it wraps req and res and hooks writeHead.
  middleware(req as never, res as never, (error?: unknown) => {
    if (error) return sendJson(res, 500, JSON.stringify({ error: String(error) }));
    const session = (req as SessionRequest).session;
    if (session === null) return answer(res, undefined);
    if (req.url === "/start") Object.assign(session, LOGIN);
    else if (workload === "write" && session.username !== undefined) session.n = nextCount();
    answer(res, session.username);
  });
});
