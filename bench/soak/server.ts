/**
 * The soak's server: a small tessera app on node:http (`withSessions`) with the routes a login
 * site has, run in its own process with --expose-gc so its samples are its own.
 *
 *   POST /login?user=U   regenerate, then set username and an empty cart   200 | 400
 *   GET  /me             read: the username and cart size                  200 | 401
 *   POST /cart?item=X    write: add to the cart (kept to its last 20)      200 | 401
 *   POST /regenerate     new id, same data                                 200 | 401
 *   POST /logout         destroy the record and the cookie                 200
 *
 * and, outside the session middleware, the parent's controls: GET /__soak/sample (see
 * sampler.ts), POST /__soak/fill?start=&count= (writes fill records through the store's own
 * API, see fill-ids.ts) and GET /__soak/count (live sessions, by listing them).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import type { SessionPatch } from "../../src/stores/contract.ts";
import { requiredEnv, sendJson } from "../servers/serve.ts";
import { fillId, fillUsername } from "./fill-ids.ts";
import { startSampler } from "./sampler.ts";
import { serverStore } from "./server-store.ts";

interface SoakSession {
  username: string;
  cart: string[];
}

/** A cart keeps its last items only, so a session that is written forever stays one size. */
const CART_MAX = 20;
const LIFETIME_MS = 31 * 86_400_000;
/** Fill writes in flight at once: enough to pipeline Redis, small enough to stay in memory. */
const FILL_BATCH = 500;

const { kind, store, emitters, release } = await serverStore();
const sessions = createSessions<SoakSession>({ secret: requiredEnv("SOAK_SECRET"), store });

const app = withSessions(sessions, async (req, res, { session }) => {
  const { path, query } = route(req);
  const s = await session();
  if (req.method === "POST" && path === "/login") {
    const user = query.get("user");
    if (!user) return sendJson(res, 400, '{"error":"user is required"}');
    s.regenerate();
    s.set("username", user);
    s.set("cart", []);
    return sendJson(res, 200, JSON.stringify({ username: user }));
  }
  if (req.method === "POST" && path === "/logout") {
    s.destroy();
    return sendJson(res, 200, '{"loggedOut":true}');
  }
  const username = s.get("username");
  if (username === undefined) return sendJson(res, 401, '{"error":"not logged in"}');
  if (req.method === "GET" && path === "/me") {
    return sendJson(res, 200, JSON.stringify({ username, cart: s.get("cart")?.length ?? 0 }));
  }
  if (req.method === "POST" && path === "/cart") {
    const cart = [...(s.get("cart") ?? []), query.get("item") ?? "?"].slice(-CART_MAX);
    s.set("cart", cart);
    return sendJson(res, 200, JSON.stringify({ username, cart: cart.length }));
  }
  if (req.method === "POST" && path === "/regenerate") {
    s.regenerate();
    return sendJson(res, 200, JSON.stringify({ username }));
  }
  sendJson(res, 404, '{"error":"no such route"}');
});

function route(req: IncomingMessage): { path: string; query: URLSearchParams } {
  const url = new URL(req.url ?? "/", "http://soak.invalid");
  return { path: url.pathname, query: url.searchParams };
}

/** Writes fill records start … start+count-1 through the store, as a login would leave them. */
async function fill(start: number, count: number): Promise<void> {
  const now = Date.now();
  for (let from = start; from < start + count; from += FILL_BATCH) {
    const to = Math.min(from + FILL_BATCH, start + count);
    const writes: Promise<boolean>[] = [];
    for (let index = from; index < to; index++) {
      const patch: SessionPatch = {
        clear: false,
        set: new Map<string, unknown>([
          ["username", fillUsername(index)],
          ["cart", ["fill"]],
        ]),
        delete: new Set(),
      };
      writes.push(
        store.apply(fillId(index), patch, {
          createdAt: now,
          expiresAt: now + LIFETIME_MS,
          mustExist: false,
        }),
      );
    }
    await Promise.all(writes);
  }
}

async function countSessions(): Promise<number> {
  let count = 0;
  for await (const _ of store.list()) count++;
  return count;
}

async function control(path: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  if (path === "/__soak/sample") return sendJson(res, 200, JSON.stringify(sample()));
  if (path === "/__soak/fill") {
    await fill(Number(query.get("start")), Number(query.get("count")));
    return sendJson(res, 200, "{}");
  }
  if (path === "/__soak/count") {
    return sendJson(res, 200, JSON.stringify({ count: await countSessions() }));
  }
  sendJson(res, 404, '{"error":"no such control"}');
}

const server = createServer((req, res) => {
  if (!req.url?.startsWith("/__soak/")) return app(req, res);
  const { path, query } = route(req);
  control(path, query, res).catch((error: unknown) => {
    process.stderr.write(`soak server (${kind}): ${path} failed: ${String(error)}\n`);
    if (!res.headersSent) sendJson(res, 500, JSON.stringify({ error: String(error) }));
  });
});

// The parent's connections are few and fixed; they may sit idle for seconds while another
// connection works (a fill, a latency probe), and a server closing an idle connection just as
// the parent sends on it would read as a reset. No idle timeout: they live as long as the run.
server.keepAliveTimeout = 0;

let connections = 0;
server.on("connection", (socket) => {
  connections++;
  socket.once("close", () => connections--);
});

const sample = startSampler(
  () => ({ process, server, ...emitters }),
  () => connections,
);

server.listen(0, "127.0.0.1", () => {
  // The parent waits for this one line.
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close();
  void sessions
    .close()
    .then(release)
    .finally(() => process.exit(0));
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
// stdin is a pipe from the parent: its end means the parent died, and the server must not
// outlive it.
process.stdin.on("end", stop).resume();
