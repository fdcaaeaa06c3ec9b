/**
 * A session write on every request: the smallest tessera app that changes its session each
 * time. GET /start creates the session (the parent reads its Set-Cookie); any other request
 * loads it, sets one key and answers the usual JSON.
 */
import { randomBytes } from "node:crypto";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { sendJson, serve } from "./serve.ts";
import { storeFromEnv } from "./store-from-env.ts";

interface WriteSession {
  username: string;
  n: number;
}

const { store, release } = await storeFromEnv();
const sessions = createSessions<WriteSession>({
  secret: randomBytes(32).toString("base64url"),
  store,
});
let counter = 0;

const handler = withSessions(sessions, async (req, res, { session }) => {
  const s = await session();
  if (req.url === "/start") {
    s.set("username", "alice");
  } else if (s.get("username") === undefined) {
    // Without this a lost cookie would show up as a fast 200 instead of as an error.
    return sendJson(res, 401, JSON.stringify({ error: "no session: GET /start first" }));
  }
  s.set("n", counter++);
  sendJson(res, 200, JSON.stringify({ username: s.get("username") }));
});

serve(handler, async () => {
  await sessions.close();
  await release();
});
