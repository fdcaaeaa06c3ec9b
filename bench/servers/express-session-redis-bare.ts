/**
 * express-session + connect-redis without Express: the middleware called straight from
 * node:http, as tessera's contenders are, so the comparison is session library against session
 * library (the express-session-redis contenders measure it inside Express, as most of its users
 * run it). Same settings, routes and client as express-session-redis.ts:
 *
 * - read: GET /start logs alice in (a regenerated session); any other path answers her name.
 * - write: GET /start creates the session; any other path sets one key on every request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type session from "express-session";
import { expressSession } from "./express-session-setup.ts";
import { cleanUpAndClose, connectRedis } from "./redis-client.ts";
import { benchWorkload, sendJson, serve } from "./serve.ts";

const workload = benchWorkload();
const client = await connectRedis();
const middleware = expressSession(client);

type SessionRequest = IncomingMessage & { session: session.Session & Partial<session.SessionData> };
let counter = 0;

function handle(req: SessionRequest, res: ServerResponse): void {
  if (req.url === "/start") {
    req.session.username = "alice";
    req.session.n = counter++;
    sendJson(res, 200, JSON.stringify({ username: "alice" }));
    return;
  }
  const username = req.session.username;
  if (username === undefined) {
    sendJson(res, 401, JSON.stringify({ error: "no session: GET /start first" }));
    return;
  }
  if (workload === "write") req.session.n = counter++;
  sendJson(res, 200, JSON.stringify({ username }));
}

serve(
  (req, res) => {
    // express-session reads req.originalUrl when present, else req.url; nothing else of Express.
    middleware(req as never, res as never, (error?: unknown) => {
      if (error) return sendJson(res, 500, JSON.stringify({ error: String(error) }));
      handle(req as SessionRequest, res);
    });
  },
  () => cleanUpAndClose(client),
);
