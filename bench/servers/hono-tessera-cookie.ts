/**
 * tessera in Hono on Node with the whole session in its cookie (no store): `app.use(
 * honoSessions(createSessions({ secret, format })))` with BENCH_FORMAT "sealed" (AES-256-GCM)
 * or "flask" (Flask's signed cookie), default cookie settings, `c.var.session` tessera's Session.
 * The workload is cookie-workload.ts's, the same as the Hono peers' (hono-sessions-peer.ts,
 * honojs-session-peer.ts); BENCH_WORKLOAD picks read or write.
 */
import { Hono } from "hono";
import { honoSessions, type SessionEnv } from "../../src/adapters/hono/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { type CookieSessionData, LOGIN, nextCount, SECRET } from "./cookie-workload.ts";
import { honoAnswer, serveHono } from "./hono-common.ts";
import { benchWorkload, requiredEnv } from "./serve.ts";

const workload = benchWorkload();
const format = requiredEnv("BENCH_FORMAT");
if (format !== "flask" && format !== "sealed") {
  throw new Error(`BENCH_FORMAT ${JSON.stringify(format)} is not "flask" or "sealed".`);
}
const sessions = createSessions<CookieSessionData>({ secret: SECRET, format });

const app = new Hono<SessionEnv<CookieSessionData>>();
app.use(honoSessions(sessions));
app.get("*", (c) => {
  const s = c.var.session;
  if (c.req.path === "/start") {
    s.set("username", LOGIN.username);
    s.set("cart", LOGIN.cart);
    s.set("csrf", LOGIN.csrf);
  } else if (workload === "write" && s.get("username") !== undefined) {
    s.set("n", nextCount());
  }
  return honoAnswer(c, s.get("username"));
});

serveHono(app, () => sessions.close());
