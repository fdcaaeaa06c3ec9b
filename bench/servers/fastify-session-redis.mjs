/**
 * The peer to beat in Fastify: Fastify 5 + @fastify/cookie + @fastify/session with connect-redis
 * (the same RedisStore class express-session uses; @fastify/session takes express-session
 * stores) on the same node-redis client and Redis as tessera's contenders, set up as its README
 * recommends: a secret, `saveUninitialized: false`, and `cookie.secure: false` on plain HTTP;
 * the cookie httpOnly, SameSite=Lax, lasting tessera's default lifetime. Same routes as
 * fastify-tessera.ts; BENCH_WORKLOAD picks them:
 *
 * - read: POST /login stores the username in a regenerated session; GET /api/me answers it.
 * - write: GET /start creates the session; GET /write sets one key on every request; GET /count
 *   answers that key, so the parent can check a write was stored (contenders.ts).
 *
 * `rolling` comes from BENCH_ROLLING. "false" (the fastify-session-redis-* contenders): a read is
 * one GET and sends no cookie, the per-request work of tessera's read (which re-issues the
 * cookie and moves the expiry at most once per `touchAfter`, a tenth of the lifetime); the
 * session then expires 31 days after its last write. "true", @fastify/session's default (the
 * fastify-session-rolling-read contender): every response saves the whole session (a SET) and
 * re-sends the cookie. @fastify/session has nothing in between (it never calls a store's touch).
 *
 * A plain .mjs on purpose: @fastify/session's type declarations give FastifyRequest.session a
 * type that conflicts with tessera/fastify's, so no .ts file in the repository imports it.
 */
import { randomBytes } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import { RedisStore } from "connect-redis";
import { createFastifyApp, sendFastifyJson as sendJson, serveFastify } from "./fastify-common.ts";
import { cleanUpAndClose, connectRedis, KEY_PREFIX, THIRTY_ONE_DAYS_MS } from "./redis-client.ts";
import { benchWorkload, requiredEnv } from "./serve.ts";

const workload = benchWorkload();
const rolling = requiredEnv("BENCH_ROLLING");
if (rolling !== "true" && rolling !== "false") {
  throw new Error(`BENCH_ROLLING ${JSON.stringify(rolling)} is not "true" or "false".`);
}
const client = await connectRedis();
const app = createFastifyApp();
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: randomBytes(32).toString("base64url"),
  store: new RedisStore({ client, prefix: KEY_PREFIX }),
  saveUninitialized: false,
  rolling: rolling === "true",
  cookie: {
    secure: false,
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    maxAge: THIRTY_ONE_DAYS_MS,
  },
});

if (workload === "read") {
  app.post("/login", async (request, reply) => {
    const username = String(request.body?.username ?? "").trim();
    if (username.length === 0) return sendJson(reply, 400, { error: "Enter a username." });
    // A new id on login, as tessera's contender and the demo do.
    await request.session.regenerate();
    request.session.set("username", username);
    return reply.redirect("/", 303);
  });
  app.get("/api/me", async (request, reply) => {
    const username = request.session.get("username");
    if (typeof username !== "string") {
      return sendJson(reply, 401, { error: "Not logged in: POST /login with a username first." });
    }
    return sendJson(reply, 200, { username });
  });
} else {
  let counter = 0;
  app.get("/start", async (request, reply) => {
    request.session.set("username", "alice");
    request.session.set("n", counter++);
    return sendJson(reply, 200, { username: "alice" });
  });
  app.get("/write", async (request, reply) => {
    const username = request.session.get("username");
    if (typeof username !== "string") {
      return sendJson(reply, 401, { error: "no session: GET /start first" });
    }
    request.session.set("n", counter++);
    return sendJson(reply, 200, { username });
  });
  app.get("/count", async (request, reply) => {
    if (typeof request.session.get("username") !== "string") {
      return sendJson(reply, 401, { error: "no session: GET /start first" });
    }
    return sendJson(reply, 200, { n: request.session.get("n") ?? null });
  });
}

await serveFastify(app, () => cleanUpAndClose(client));
