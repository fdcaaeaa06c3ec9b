/**
 * The node:http adapter. commitBeforeSending (src/adapters/node-response.ts) replaces four
 * methods of each response so that the first one to send runs the session's commit and adds
 * its headers; it is measured on a real http.ServerResponse with no socket, against the same
 * response without the hook. withSessions (src/adapters/node.ts) is measured whole, driving its
 * request listener the same way: a memoryStore session read, a session used with no cookie, and
 * a plain listener with no sessions.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import session from "express-session";
import { withSessions } from "../../src/adapters/node.ts";
import { commitBeforeSending } from "../../src/adapters/node-response.ts";
import { createSessions } from "../../src/engine/manager.ts";
import type { ResponseHeaders } from "../../src/engine/request-scope.ts";
import { expressSession } from "../../src/migrate/express-session.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { type MicroCase, type MicroGroup, SECRET } from "./case.ts";

export const BODY = JSON.stringify({ username: "alice" });
const HEADERS = Object.freeze({
  "Content-Type": "application/json",
  "Content-Length": Buffer.byteLength(BODY),
  "Cache-Control": "no-store",
});

/** A request and its response, as node:http makes them, with no connection behind them. */
export function exchange(cookie?: string): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = "GET";
  req.url = "/";
  if (cookie !== undefined) req.headers.cookie = cookie;
  return { req, res: new ServerResponse(req) };
}

/** The header block the response wrote (node:http keeps it until a socket takes it). */
export function headerText(res: ServerResponse): string {
  return (res as unknown as { _header: string | null })._header ?? "";
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, HEADERS);
  res.end(body);
}

// --- commitBeforeSending on its own ---------------------------------------------------------

/** What a session read commits: no cookie, Vary: Cookie. */
export const READ_HEADERS: ResponseHeaders = { setCookie: [], varyCookie: true };
/** What a session write commits: the id cookie, Vary: Cookie. */
export const WRITE_HEADERS: ResponseHeaders = {
  setCookie: [
    "session=q3Vb0mYtQy2c8Zr1xW7nLpK4sJ9dF6hG5aE2uT0iOxM.T7pA9bC3dE5fG1hI4jK6lM8nO0pQ2rS4tU6vW8xY0zA; Max-Age=2678400; Path=/; HttpOnly; SameSite=Lax",
  ],
  varyCookie: true,
};

function failed(error: unknown): never {
  throw error;
}

export const hookCases = {
  plain: {
    name: "ServerResponse: no hook",
    fn: () => {
      const { res } = exchange();
      send(res, 200, BODY);
      return res;
    },
  },
  hookRead: {
    name: "commitBeforeSending: read (Vary)",
    fn: () => {
      const { res } = exchange();
      commitBeforeSending(res, { commit: () => READ_HEADERS }, failed);
      send(res, 200, BODY);
      return res;
    },
  },
  hookWrite: {
    name: "commitBeforeSending: write (Set-Cookie, Vary)",
    fn: () => {
      const { res } = exchange();
      commitBeforeSending(res, { commit: () => WRITE_HEADERS }, failed);
      send(res, 200, BODY);
      return res;
    },
  },
} satisfies Record<string, MicroCase>;

// --- withSessions, whole --------------------------------------------------------------------

const store = memoryStore();

export const sessions = createSessions<{ username: string }>({ secret: SECRET, store });

/**
 * The same sessions with `migrateFrom` set (issue 14): requests that carry no legacy cookie
 * should cost what they cost without it. Same secret and store, so the same cookie reads.
 */
const migratingSessions = createSessions<{ username: string }>({
  secret: SECRET,
  store,
  migrateFrom: expressSession({ secret: SECRET, store: new session.MemoryStore() }),
});

/** The cookie a browser holds after logging in as alice (a record in the memory store). */
export const LOGGED_IN_COOKIE = await (async () => {
  const scope = sessions.begin({ cookieHeader: undefined, encrypted: false });
  (await scope.session()).set("username", "alice");
  const headers = await scope.commit(200);
  const cookie = headers.setCookie[0]?.split(";")[0];
  if (cookie === undefined) throw new Error("logging in set no cookie");
  return cookie;
})();

/**
 * The request in flight and how to settle it. Requests run one at a time (mitata awaits each
 * before the next), so one slot is enough; a WeakMap keyed by response cost more than the
 * plain listener itself once it held a few million dead entries.
 */
let inFlight:
  | { resolve: (res: ServerResponse) => void; reject: (error: unknown) => void }
  | undefined;

function answered(res: ServerResponse): void {
  const settle = inFlight;
  inFlight = undefined;
  settle?.resolve(res);
}

function failedRequest(error: unknown): void {
  const settle = inFlight;
  inFlight = undefined;
  settle?.reject(error);
}

/** Runs `listener` on a fresh request and response; resolves once the handler has answered. */
function request(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  cookie: string | undefined,
): Promise<ServerResponse> {
  if (inFlight !== undefined) throw new Error("one request at a time");
  return new Promise((resolve, reject) => {
    const { req, res } = exchange(cookie);
    inFlight = { resolve, reject };
    listener(req, res);
  });
}

const plainListener = (_req: IncomingMessage, res: ServerResponse): void => {
  send(res, 200, BODY);
  answered(res);
};

const sessionListener = withSessions(
  sessions,
  async (_req, res, { session }) => {
    const username = (await session()).get("username");
    send(res, 200, JSON.stringify({ username: username ?? null }));
    answered(res);
  },
  { onError: (error) => failedRequest(error) },
);

const migratingListener = withSessions(
  migratingSessions,
  async (_req, res, { session }) => {
    const username = (await session()).get("username");
    send(res, 200, JSON.stringify({ username: username ?? null }));
    answered(res);
  },
  { onError: (error) => failedRequest(error) },
);

export const nodeCases = {
  plain: {
    name: "node:http listener, no sessions",
    fn: () => request(plainListener, undefined),
    async: true,
  },
  anonymous: {
    name: "withSessions: no cookie, session used",
    fn: () => request(sessionListener, undefined),
    async: true,
  },
  read: {
    name: "withSessions: memoryStore session read",
    fn: () => request(sessionListener, LOGGED_IN_COOKIE),
    async: true,
  },
  anonymousMigrating: {
    name: "withSessions + migrateFrom: no cookie, session used",
    fn: () => request(migratingListener, undefined),
    async: true,
  },
  readMigrating: {
    name: "withSessions + migrateFrom: memoryStore session read",
    fn: () => request(migratingListener, LOGGED_IN_COOKIE),
    async: true,
  },
} satisfies Record<string, MicroCase>;

export const groups: readonly MicroGroup[] = [
  { name: "adapter: commitBeforeSending", cases: Object.values(hookCases) },
  { name: "adapter: withSessions (node:http)", cases: Object.values(nodeCases) },
];

export function close(): Promise<void> {
  return sessions.close();
}
