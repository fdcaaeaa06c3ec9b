/**
 * tessera in Fastify: Fastify 5 set up as for every Fastify contender (fastify-common.ts),
 * `app.register(fastifySessions(createSessions({ secret, store })))` on the store BENCH_STORE
 * names (store-from-env.ts: redisStore on a node-redis client, as the @fastify/session peer's,
 * or memoryStore for the adapter's own cost), the routes written against @fastify/session's
 * `request.session` API (get, set, regenerate), as the peer's; BENCH_WORKLOAD picks them:
 *
 * - read: POST /login stores the username in a regenerated session; GET /api/me answers it;
 *   GET / is a page anyone may see, which reads the session to greet whoever is logged in.
 * - write: GET /start creates the session; GET /write sets one key on every request; GET /count
 *   answers that key, so the parent can check a write was stored (contenders.ts).
 *
 * No SessionData is declared for tessera/fastify here (that would change what the adapter's type
 * test pins), so `get` returns unknown and the routes check the type.
 */
import { randomBytes } from "node:crypto";
import { fastifySessions } from "../../src/adapters/fastify/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { createFastifyApp, sendFastifyJson as sendJson, serveFastify } from "./fastify-common.ts";
import { benchWorkload } from "./serve.ts";
import { storeFromEnv } from "./store-from-env.ts";

const workload = benchWorkload();
const { store, release } = await storeFromEnv();
const sessions = createSessions({ secret: randomBytes(32).toString("base64url"), store });
const app = createFastifyApp();
await app.register(fastifySessions(sessions));

if (workload === "read") {
  app.post("/login", async (request, reply) => {
    const username = String((request.body as { username?: unknown } | null)?.username ?? "").trim();
    if (username.length === 0) return sendJson(reply, 400, { error: "Enter a username." });
    // A new id on login, as the peer and the demo do.
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
  app.get("/", async (request, reply) => {
    // The no-cookie contender's page: everyone sees it, a logged-in user by name (the floor's
    // answer names alice, so the default does too).
    const username = request.session.get("username");
    return sendJson(reply, 200, { username: typeof username === "string" ? username : "alice" });
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

await serveFastify(app, async () => {
  await sessions.close();
  await release();
});
