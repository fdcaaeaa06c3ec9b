/**
 * A session read on every request: the smallest tessera app that reads its session. GET /start
 * creates the session (the parent reads its Set-Cookie); GET /public is a page anyone may see,
 * which reads the session to greet whoever is logged in (the no-cookie contender's); any other
 * request loads it and answers the usual JSON built from it. The demo-* contenders measure the
 * same read inside a whole app. With BENCH_MIGRATE=1 it also takes over express-session's
 * sessions (`migrateFrom`), which the requests, carrying no legacy cookie, never need: what the
 * option costs everyone else.
 */
import { randomBytes } from "node:crypto";
import session from "express-session";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { expressSession } from "../../src/migrate/express-session.ts";
import { observeAll } from "./observe.ts";
import { sendJson, serve } from "./serve.ts";
import { storeFromEnv } from "./store-from-env.ts";

const { store, release } = await storeFromEnv();
observeAll();
const sessions = createSessions<{ username: string }>({
  secret: randomBytes(32).toString("base64url"),
  store,
  ...(process.env.BENCH_MIGRATE === "1"
    ? {
        migrateFrom: expressSession({
          secret: randomBytes(32).toString("base64url"),
          store: new session.MemoryStore(),
        }),
      }
    : {}),
});

const handler = withSessions(sessions, async (req, res, { session }) => {
  const s = await session();
  if (req.url === "/start") s.set("username", "alice");
  // The floor's answer names alice, so the public page's default does too.
  const username = req.url === "/public" ? (s.get("username") ?? "alice") : s.get("username");
  // Without this a lost cookie would show up as a fast 200 instead of as an error.
  if (username === undefined) {
    return sendJson(res, 401, JSON.stringify({ error: "no session: GET /start first" }));
  }
  sendJson(res, 200, JSON.stringify({ username }));
});

serve(handler, async () => {
  await sessions.close();
  await release();
});
