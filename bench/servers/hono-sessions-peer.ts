/**
 * Peer for tessera's cookie sessions in Hono: hono-sessions (the session as JSON in one cookie,
 * sealed with iron-webcrypto: AES-256-CBC + HMAC-SHA256), its CookieStore with an encryption
 * key, set up as its README shows (`sessionMiddleware({ store, encryptionKey,
 * expireAfterSeconds, cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true } })`), with
 * tessera's lifetime as `expireAfterSeconds` and as the cookie's max age. On Node through
 * @hono/node-server (hono-common.ts); the workload is cookie-workload.ts's, BENCH_WORKLOAD picks
 * read or write.
 *
 * `autoExtendExpiration` comes from BENCH_EXTEND. "true" is the library's default and its
 * README's: every request moves the session's expiry and access time, so every response, a
 * read's too, re-seals and re-sends the cookie. "false": a read leaves the session unchanged and
 * sends no cookie (as tessera's read within `touchAfter`), and the session expires only with its
 * cookie's max age. hono-sessions has nothing in between.
 */
import { Hono } from "hono";
import { CookieStore, type Session, sessionMiddleware } from "hono-sessions";
import {
  type CookieSessionData,
  LIFETIME_SECONDS,
  LOGIN,
  nextCount,
  SECRET,
} from "./cookie-workload.ts";
import { honoAnswer, serveHono } from "./hono-common.ts";
import { benchWorkload, requiredEnv } from "./serve.ts";

const workload = benchWorkload();
const extend = requiredEnv("BENCH_EXTEND");
if (extend !== "true" && extend !== "false") {
  throw new Error(`BENCH_EXTEND ${JSON.stringify(extend)} is not "true" or "false".`);
}

const app = new Hono<{
  Variables: { session: Session<CookieSessionData>; session_key_rotation: boolean };
}>();
app.use(
  "*",
  sessionMiddleware({
    store: new CookieStore(),
    encryptionKey: SECRET, // 43 characters; it asks for at least 32
    expireAfterSeconds: LIFETIME_SECONDS,
    autoExtendExpiration: extend === "true",
    cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true, maxAge: LIFETIME_SECONDS },
  }),
);
app.get("*", (c) => {
  const session = c.get("session");
  if (c.req.path === "/start") {
    session.set("username", LOGIN.username);
    session.set("cart", LOGIN.cart);
    session.set("csrf", LOGIN.csrf);
  } else if (workload === "write" && session.get("username") !== null) {
    session.set("n", nextCount());
  }
  return honoAnswer(c, session.get("username"));
});

serveHono(app);
