/**
 * The peer to beat on Redis: Express 5 + express-session + connect-redis on the same node-redis
 * client and Redis as tessera's Redis contenders, set up the way its READMEs recommend (resave
 * false, saveUninitialized false, a secret, an httpOnly cookie that lasts as long as tessera's
 * default lifetime). BENCH_WORKLOAD picks the routes:
 *
 * - read: POST /login stores the username in a regenerated session; GET /api/me answers it.
 *   express-session then touches the record (an EXPIRE), as it does on every unmodified request.
 * - write: GET /start creates the session; GET /write sets one key on every request; GET /count
 *   answers that key, so the parent can check a write was stored (contenders.ts).
 *
 * Express is set up as for every Express contender (express-common.ts: ETag and X-Powered-By
 * off), so this and express-tessera-redis.ts differ only in the session middleware.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import { createExpressApp, sendExpressJson as sendJson } from "./express-common.ts";
import { expressSession } from "./express-session-setup.ts";
import { cleanUpAndClose, connectRedis } from "./redis-client.ts";
import { benchWorkload, serve } from "./serve.ts";

const workload = benchWorkload();
const client = await connectRedis();
const app = createExpressApp();
app.use(expressSession(client));

if (workload === "read") {
  app.post("/login", express.urlencoded({ extended: false }), (req, res, next) => {
    const username = String((req.body as { username?: unknown }).username ?? "").trim();
    if (username.length === 0) return sendJson(res, 400, { error: "Enter a username." });
    // A new id on login, as the demo does.
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
  () => cleanUpAndClose(client),
);
