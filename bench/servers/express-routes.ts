/**
 * The routes every Express session contender serves, written once against express-session's
 * `req.session` (typed by @types/express-session, extended in express-session-setup.ts), which
 * tessera/express keeps for ported apps: so express-session and tessera, on Redis or PostgreSQL,
 * run the very same handlers. BENCH_WORKLOAD picks them:
 *
 * - read: POST /login stores the username in a regenerated session (`req.session.regenerate`,
 *   a new id on login, as the demo does); GET /api/me answers it. GET / is a page anyone may
 *   see, which reads the session to greet whoever is logged in (the no-cookie contenders').
 * - write: GET /start creates the session; GET /write sets one key on every request; GET /count
 *   answers that key, so the parent can check a write was stored (contenders.ts).
 */
import express, { type Express } from "express";
import { sendExpressJson as sendJson } from "./express-common.ts";

export function addSessionRoutes(app: Express, workload: "read" | "write"): void {
  if (workload === "read") {
    app.post("/login", express.urlencoded({ extended: false }), (req, res, next) => {
      const username = String((req.body as { username?: unknown }).username ?? "").trim();
      if (username.length === 0) return sendJson(res, 400, { error: "Enter a username." });
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.username = username;
        res.redirect(303, "/");
      });
    });
    app.get("/", (req, res) => {
      // The floor's answer names alice, so the default does too.
      sendJson(res, 200, { username: req.session.username ?? "alice" });
    });
    app.get("/api/me", (req, res) => {
      const username = req.session.username;
      if (username === undefined) {
        return sendJson(res, 401, { error: "Not logged in: POST /login with a username first." });
      }
      sendJson(res, 200, { username });
    });
    return;
  }
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
