/**
 * tessera in Express, as someone porting from express-session runs it: Express 5 set up as for
 * every Express contender (express-common.ts), `app.use(expressSessions(createSessions({ secret,
 * store: redisStore({ client, prefix }) })))`, the routes written against express-session's
 * `req.session`. Same routes, Redis and node-redis client as the express-session peer
 * (express-session-redis.ts); BENCH_WORKLOAD picks them:
 *
 * - read: POST /login stores the username in a regenerated session (`req.session.regenerate`);
 *   GET /api/me answers it.
 * - write: GET /start creates the session; GET /write sets one key on every request; GET /count
 *   answers that key, so the parent can check a write was stored (contenders.ts).
 *
 * `req.session` is typed by @types/express-session, whose SessionData the peer's setup
 * (express-session-setup.ts) extends with `username` and `n`, as a ported app keeps its types.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { createExpressApp, sendExpressJson as sendJson } from "./express-common.ts";
import { cleanUpAndClose, connectRedis, KEY_PREFIX } from "./redis-client.ts";
import { benchWorkload, serve } from "./serve.ts";

const workload = benchWorkload();
const client = await connectRedis();
const sessions = createSessions({
  secret: randomBytes(32).toString("base64url"),
  store: redisStore({ client, prefix: KEY_PREFIX }),
});
const app = createExpressApp();
app.use(expressSessions(sessions));

if (workload === "read") {
  app.post("/login", express.urlencoded({ extended: false }), (req, res, next) => {
    const username = String((req.body as { username?: unknown }).username ?? "").trim();
    if (username.length === 0) return sendJson(res, 400, { error: "Enter a username." });
    // A new id on login, as the peer and the demo do.
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.username = username;
      res.redirect(303, "/");
    });
  });
  app.get("/api/me", (req, res) => {
    const username = req.session.username;
    if (username === undefined) {
      return sendJson(res, 401, { error: "Not logged in: POST /login with a username first." });
    }
    sendJson(res, 200, { username });
  });
} else {
  let counter = 0;
  app.get("/start", (req, res) => {
    req.session.username = "alice";
    req.session.n = counter++;
    sendJson(res, 200, { username: req.session.username });
  });
  app.get("/write", (req, res) => {
    const username = req.session.username;
    if (username === undefined) {
      return sendJson(res, 401, { error: "no session: GET /start first" });
    }
    req.session.n = counter++;
    sendJson(res, 200, { username });
  });
  app.get("/count", (req, res) => {
    if (req.session.username === undefined) {
      return sendJson(res, 401, { error: "no session: GET /start first" });
    }
    sendJson(res, 200, { n: req.session.n ?? null });
  });
}

serve(
  (req: IncomingMessage, res: ServerResponse) => app(req, res),
  async () => {
    await sessions.close();
    await cleanUpAndClose(client);
  },
);
