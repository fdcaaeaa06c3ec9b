/**
 * Lost writes, measured over real HTTP: one browser signs in, then sends `requests` requests at
 * once, each setting a different key of its one session, through tessera's node:http adapter on
 * the given store; afterwards it reads the session back and counts the keys that are there. A
 * store whose patches are atomic keeps all of them; one that reads and writes whole records
 * (the express-session bridge) keeps fewer, as many as its read-write windows happen to allow.
 *
 * Used by bench/bridge-lost-writes.ts and by the bridge's tests (which only check that some
 * landed: the count depends on timing).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { withSessions } from "../src/adapters/node.ts";
import { createSessions } from "../src/engine/manager.ts";
import type { SessionStore } from "../src/stores/contract.ts";

export interface LostWrites {
  /** How many requests were sent at once, each setting its own key. */
  readonly requests: number;
  /** How many of those keys the session holds afterwards. */
  readonly landed: number;
  /** How many of the requests were answered 2xx (each one claimed its key was stored). */
  readonly acknowledged: number;
}

export async function measureLostWrites(store: SessionStore, requests = 50): Promise<LostWrites> {
  const sessions = createSessions({
    secret: randomBytes(32).toString("base64url"),
    store,
    storeTimeout: "10s",
  });
  const server = createServer(
    withSessions(sessions, async (req, res, { session }) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const s = await session();
      if (url.pathname === "/login") s.set("user", "ada");
      else if (url.pathname === "/set") s.set(url.searchParams.get("key") ?? "none", true);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(s.keys()));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const login = await fetch(`${base}/login`, { method: "POST" });
    const cookie = login.headers.getSetCookie()[0]?.split(";")[0];
    if (login.status !== 200 || cookie === undefined) {
      throw new Error(`login answered ${login.status} with no session cookie`);
    }
    const keys = Array.from({ length: requests }, (_, index) => `key${index}`);
    const answers = await Promise.all(
      keys.map(async (key) => {
        const response = await fetch(`${base}/set?key=${key}`, {
          method: "POST",
          headers: { cookie },
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const stored = (await (await fetch(`${base}/`, { headers: { cookie } })).json()) as string[];
    return {
      requests,
      landed: keys.filter((key) => stored.includes(key)).length,
      acknowledged: answers.filter((status) => status >= 200 && status < 300).length,
    };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  }
}
