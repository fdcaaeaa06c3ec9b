/**
 * tessera in Hono on Node: `app.use(honoSessions(createSessions(…)))`, default cookie settings,
 * `c.var.session` tessera's Session. With BENCH_FORMAT "sealed" (AES-256-GCM) or "flask"
 * (Flask's signed cookie) the whole session is in its cookie, the workload the Hono peers serve
 * (cookie-workload.ts; hono-sessions-peer.ts, honojs-session-peer.ts); with BENCH_STORE
 * ("memory") it is kept in that store, for the adapter's own cost. BENCH_WORKLOAD picks read
 * or write; GET /public is a page anyone may see, which reads the session to greet whoever is
 * logged in (the no-cookie contender's).
 */
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { honoSessions, type SessionEnv } from "../../src/adapters/hono/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { type CookieSessionData, LOGIN, nextCount, SECRET } from "./cookie-workload.ts";
import { honoAnswer, serveHono } from "./hono-common.ts";
import { benchWorkload, requiredEnv } from "./serve.ts";
import { storeFromEnv } from "./store-from-env.ts";

const workload = benchWorkload();
const stored = process.env.BENCH_STORE !== undefined;
const { store, release } = stored ? await storeFromEnv() : { store: undefined, release() {} };
const sessions =
  store === undefined
    ? createSessions<CookieSessionData>({ secret: SECRET, format: cookieFormat() })
    : createSessions<CookieSessionData>({ secret: randomBytes(32).toString("base64url"), store });

const app = new Hono<SessionEnv<CookieSessionData>>();
app.use(honoSessions(sessions));
app.get("*", (c) => {
  const s = c.var.session;
  if (c.req.path === "/public") return honoAnswer(c, s.get("username") ?? LOGIN.username);
  if (c.req.path === "/start") {
    s.set("username", LOGIN.username);
    s.set("cart", LOGIN.cart);
    s.set("csrf", LOGIN.csrf);
  } else if (workload === "write" && s.get("username") !== undefined) {
    s.set("n", nextCount());
  }
  return honoAnswer(c, s.get("username"));
});

serveHono(app, async () => {
  await sessions.close();
  await release();
});

function cookieFormat(): "flask" | "sealed" {
  const format = requiredEnv("BENCH_FORMAT");
  if (format !== "flask" && format !== "sealed") {
    throw new Error(`BENCH_FORMAT ${JSON.stringify(format)} is not "flask" or "sealed".`);
  }
  return format;
}
