/**
 * The contenders, one entry each. A contender is a server script in bench/servers/ (run in its
 * own process), the settings it gets by env, how to get a logged-in request out of it, and the
 * floors and peers its throughput is divided by. Adding a peer is one more entry here plus its
 * server script.
 */
import { cookieFrom, get, type LoadTarget } from "./http.ts";

export interface Contender {
  readonly name: string;
  /** A floor is a baseline; reads and writes are session work measured against floors. */
  readonly kind: "floor" | "read" | "write";
  readonly description: string;
  /** File name in bench/servers/. */
  readonly server: string;
  /** Extra env for the server. Every server also gets BENCH_DB_PATH, a file of its own. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Contender names to report this contender's throughput as a ratio to: floors (kind "floor")
   * print as "÷ floor" columns, any other contender as a peer, in "vs peer" columns ("2.9×").
   */
  readonly compareWith: readonly string[];
  /**
   * Goals from the issues, checked under the table: this contender's ratio to `baseline` (one of
   * `compareWith`) should be at least `atLeast`.
   */
  readonly targets?: readonly Target[];
  /**
   * Run only when BENCH_ONLY names it: the PostgreSQL contenders, whose floors are bound by
   * PostgreSQL (a commit's flush, its backends on the same cores) and cannot keep a Node core
   * busy, so the saturation check would make every full run invalid.
   */
  readonly byNameOnly?: true;
  /** The server needs the run's Redis (BENCH_REDIS_URL); the parent finds one first. */
  readonly usesRedis?: true;
  /**
   * The server needs the run's PostgreSQL (BENCH_DATABASE_URL), and gets a table of its own
   * (BENCH_PG_TABLE); the parent checks the database answers first, and drops the run's tables
   * at the end.
   */
  readonly usesPostgres?: true;
  /**
   * Brings the fresh server to the state under test and returns the request to load it with;
   * `connections` is how many connections the load opens.
   */
  prepare(origin: string, connections: number): Promise<LoadTarget>;
}

export interface Target {
  readonly baseline: string;
  readonly atLeast: number;
}

const READ_FLOORS = ["floor-bare", "floor-sqlite-read"] as const;
const WRITE_FLOORS = ["floor-bare", "floor-sqlite-write"] as const;
const REDIS_READ_FLOORS = ["floor-bare", "floor-redis-read"] as const;
const REDIS_WRITE_FLOORS = ["floor-bare", "floor-redis-write"] as const;
const POSTGRES_READ_FLOORS = ["floor-bare", "floor-postgres-read"] as const;
const POSTGRES_WRITE_FLOORS = ["floor-bare", "floor-postgres-write"] as const;

/**
 * Logs in as alice through the login form (POST /login, 303) and loads GET /api/me with the
 * session cookie `cookieName`: the demo's read, and the express-session peer's.
 */
function loggedIn(cookieName: string): (origin: string) => Promise<LoadTarget> {
  return async (origin) => {
    const cookie = await cookieFrom(origin, "/login", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "username=alice",
      expectStatus: 303,
      cookieName,
    });
    return get("/api/me", { Cookie: cookie });
  };
}

/**
 * Creates the session with GET /start, then loads `path` with its cookie `cookieName` (or its
 * cookies, when the session takes more than one).
 */
function started(
  path: string,
  cookieName: string | readonly string[] = "session",
): (origin: string) => Promise<LoadTarget> {
  return async (origin) => {
    const cookie = await cookieFrom(origin, "/start", { expectStatus: 200, cookieName });
    return get(path, { Cookie: cookie });
  };
}

/**
 * A cookie-session write: `started`, plus a check that one request with the cookie answers with
 * a new one, so the load measures writing the session into the cookie, not just reading it.
 */
function cookieWriteStarted(
  cookieName: string | readonly string[] = "session",
): (origin: string) => Promise<LoadTarget> {
  const start = started("/write", cookieName);
  return async (origin) => {
    const target = await start(origin);
    await cookieFrom(origin, target.path, {
      headers: target.headers,
      expectStatus: 200,
      cookieName,
    });
    return target;
  };
}

/**
 * A store write: `started`, plus a check that a write is stored, not only answered: GET /count
 * (the session's `n`, read back by a request of its own) must move after one more GET /write.
 */
function storeWriteStarted(cookieName: string): (origin: string) => Promise<LoadTarget> {
  const start = started("/write", cookieName);
  return async (origin) => {
    const target = await start(origin);
    const before = await countOf(origin, target.headers);
    const written = await fetch(new URL(target.path, origin), { headers: target.headers });
    // Read to its end: express-session holds back the body's last byte until its store has
    // saved, and a /count sent on the headers alone can overtake a slow save (PostgreSQL's).
    await written.text();
    if (written.status !== 200) throw new Error(`GET /write answered ${written.status}.`);
    const after = await countOf(origin, target.headers);
    if (typeof before !== "number" || typeof after !== "number" || after <= before) {
      throw new Error(
        `GET /write did not store its change: the session's n read ${JSON.stringify(before)} before it and ${JSON.stringify(after)} after.`,
      );
    }
    return target;
  };
}

/**
 * A session for each connection of the load: `prepareOne` (a login, or GET /start) once per
 * connection, and the load sends connection i the i-th session's cookie, as that many users
 * would. For PostgreSQL, whose UPDATE holds its row's lock until the commit is flushed: fifty
 * connections writing (or touching) one session would queue on that one lock, and measure the
 * disk's flush latency instead of the store.
 */
function sessionPerConnection(
  prepareOne: (origin: string) => Promise<LoadTarget>,
): (origin: string, connections: number) => Promise<LoadTarget> {
  return async (origin, connections) => {
    const targets: LoadTarget[] = [];
    for (let index = 0; index < connections; index++) targets.push(await prepareOne(origin));
    const [first] = targets;
    if (first === undefined) throw new Error("no connections to prepare sessions for.");
    return { ...first, connectionHeaders: targets.map((target) => target.headers) };
  };
}

async function countOf(
  origin: string,
  headers: Readonly<Record<string, string>>,
): Promise<unknown> {
  const response = await fetch(new URL("/count", origin), { headers });
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`GET /count answered ${response.status}: ${body.slice(0, 200)}`);
  }
  return (JSON.parse(body) as { n?: unknown }).n;
}

const demoLoggedIn = loggedIn("session");
const readSessionStarted = started("/read");
const writeSessionStarted = started("/write");
const expressLoggedIn = loggedIn("connect.sid");
/** @fastify/session's default cookie name; tessera's is `session`. */
const FASTIFY_SESSION_COOKIE = "sessionId";
/** The cookie @hono/session keeps its session in (a name it does not let one change). */
const HONOJS_SESSION_COOKIE = "sid";
const HONO_READ_PEERS = [
  "hono-sessions-read",
  "hono-sessions-noextend-read",
  "honojs-session-read",
] as const;
const HONO_WRITE_PEERS = ["hono-sessions-write", "honojs-session-write"] as const;

/** cookie-session keeps the session in `session` and its HMAC in `session.sig`. */
const COOKIE_SESSION_COOKIES = ["session", "session.sig"] as const;
const COOKIE_READ_PEERS = ["cookie-session-read", "iron-session-read"] as const;
const COOKIE_WRITE_PEERS = ["cookie-session-write", "iron-session-write"] as const;

async function noSetup(): Promise<LoadTarget> {
  return get("/");
}

export const CONTENDERS: readonly Contender[] = [
  {
    name: "floor-bare",
    kind: "floor",
    description: "bare node:http answering the JSON",
    server: "floor-bare.ts",
    env: {},
    compareWith: [],
    prepare: noSetup,
  },
  {
    name: "floor-bare-setheader",
    kind: "floor",
    description:
      "bare node:http answering the JSON with setHeader for each header, then end (Express's way)",
    server: "floor-bare.ts",
    env: { BENCH_STYLE: "setHeader" },
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "floor-bare-await",
    kind: "floor",
    description:
      "bare node:http whose async handler awaits one settled promise before answering: the hop every `await session()` costs",
    server: "floor-bare.ts",
    env: { BENCH_AWAIT: "1" },
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "floor-bare-cookie",
    kind: "floor",
    description:
      "bare node:http answering the JSON to requests that carry a 200-byte session cookie it ignores",
    server: "floor-bare.ts",
    env: {},
    compareWith: ["floor-bare"],
    // The size of the Flask-format cookie the cookie-session contenders send (about 190
    // characters), so this floor prices the bigger request alone, without any session work.
    prepare: async () => ({
      ...get("/", { cookie: `session=${"x".repeat(200)}` }),
      cookieIsBallast: true,
    }),
  },
  {
    name: "floor-sqlite-read",
    kind: "floor",
    description: "bare node:http + one prepared SELECT on node:sqlite (WAL) + JSON.parse",
    server: "floor-sqlite-read.ts",
    env: {},
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "floor-sqlite-write",
    kind: "floor",
    description: "bare node:http + SELECT and UPDATE in one BEGIN IMMEDIATE transaction",
    server: "floor-sqlite-write.ts",
    env: {},
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "floor-redis-read",
    kind: "floor",
    description: "bare node:http + one GET of the JSON record (node-redis 6) + JSON.parse",
    server: "floor-redis-read.ts",
    env: {},
    compareWith: ["floor-bare"],
    usesRedis: true,
    prepare: noSetup,
  },
  {
    name: "floor-redis-write",
    kind: "floor",
    description: "bare node:http + GET, JSON.parse, SET ... PX of the JSON record (node-redis 6)",
    server: "floor-redis-write.ts",
    env: {},
    compareWith: ["floor-bare"],
    usesRedis: true,
    prepare: noSetup,
  },
  {
    name: "floor-postgres-read",
    kind: "floor",
    description:
      "bare node:http + postgresStore's own SELECT of the session row, named as the store names it (pg Pool) + JSON.parse",
    server: "floor-postgres-read.ts",
    env: {},
    compareWith: ["floor-bare"],
    usesPostgres: true,
    byNameOnly: true,
    prepare: noSetup,
  },
  {
    name: "floor-postgres-write",
    kind: "floor",
    description:
      "bare node:http + postgresStore's own SELECT, then its own one-key UPDATE, named as the store names them (pg Pool)",
    server: "floor-postgres-write.ts",
    env: {},
    compareWith: ["floor-bare"],
    usesPostgres: true,
    byNameOnly: true,
    prepare: noSetup,
  },
  {
    name: "floor-postgres-read-unnamed",
    kind: "floor",
    description:
      "floor-postgres-read with its statement unnamed (postgresStore's prepare: false; connect-pg-simple): parsed and planned on every call",
    server: "floor-postgres-read.ts",
    env: { BENCH_PG_UNNAMED: "1" },
    compareWith: ["floor-bare", "floor-postgres-read"],
    usesPostgres: true,
    byNameOnly: true,
    prepare: noSetup,
  },
  {
    name: "floor-postgres-write-unnamed",
    kind: "floor",
    description:
      "floor-postgres-write with both statements unnamed: parsed and planned on every call",
    server: "floor-postgres-write.ts",
    env: { BENCH_PG_UNNAMED: "1" },
    compareWith: ["floor-bare", "floor-postgres-write"],
    usesPostgres: true,
    byNameOnly: true,
    prepare: noSetup,
  },
  {
    name: "floor-express",
    kind: "floor",
    description: "Express 5 (ETag and X-Powered-By off) answering the JSON, no sessions",
    server: "floor-express.ts",
    env: {},
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "floor-fastify",
    kind: "floor",
    description: "Fastify 5 answering the JSON, no sessions",
    server: "floor-fastify.ts",
    env: {},
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "floor-fastify-hooks",
    kind: "floor",
    description:
      "floor-fastify with an onRequest and an onSend hook that only go on: the hooks any session plugin needs",
    server: "floor-fastify.ts",
    env: { BENCH_HOOKS: "1" },
    compareWith: ["floor-fastify"],
    prepare: noSetup,
  },
  {
    name: "floor-hono",
    kind: "floor",
    description: "Hono 4 on @hono/node-server answering the JSON, no sessions",
    server: "floor-hono.ts",
    env: {},
    compareWith: ["floor-bare"],
    prepare: noSetup,
  },
  {
    name: "demo-sqlite",
    kind: "read",
    description: "demo/app.ts, GET /api/me logged in, sqliteStore",
    server: "demo.ts",
    env: { BENCH_STORE: "sqlite" },
    compareWith: READ_FLOORS,
    prepare: demoLoggedIn,
  },
  {
    name: "demo-memory",
    kind: "read",
    description: "demo/app.ts, GET /api/me logged in, memoryStore",
    server: "demo.ts",
    env: { BENCH_STORE: "memory" },
    compareWith: READ_FLOORS,
    prepare: demoLoggedIn,
  },
  {
    name: "demo-redis",
    kind: "read",
    description: "demo/app.ts, GET /api/me logged in, redisStore (node-redis 6)",
    server: "demo.ts",
    env: { BENCH_STORE: "redis" },
    compareWith: [...REDIS_READ_FLOORS, "express-session-redis-read"],
    usesRedis: true,
    prepare: demoLoggedIn,
  },
  {
    name: "session-read-memory",
    kind: "read",
    description:
      "createSessions + withSessions, s.get() on every request, memoryStore: the engine's own cost",
    server: "session-read.ts",
    env: { BENCH_STORE: "memory" },
    compareWith: ["floor-bare", "floor-bare-await"],
    // Issue 13: a cached read at least 0.9 of bare node:http, in both handler styles.
    targets: [{ baseline: "floor-bare", atLeast: 0.9 }],
    prepare: readSessionStarted,
  },
  {
    name: "session-read-memory-setheader",
    kind: "read",
    description:
      "session-read-memory answering with setHeader for each header, then end (Express's way)",
    server: "session-read.ts",
    env: { BENCH_STORE: "memory", BENCH_STYLE: "setHeader" },
    compareWith: ["floor-bare-setheader", "floor-bare"],
    targets: [{ baseline: "floor-bare-setheader", atLeast: 0.9 }],
    prepare: readSessionStarted,
  },
  {
    name: "session-nocookie-memory",
    kind: "read",
    description:
      "withSessions, a request with no cookie to a page that reads the session (finds no one), memoryStore",
    server: "session-read.ts",
    env: { BENCH_STORE: "memory" },
    compareWith: ["floor-bare"],
    // Issue 13: a request without a session cookie at least 0.97 of the same server without sessions.
    targets: [{ baseline: "floor-bare", atLeast: 0.97 }],
    prepare: async () => get("/public"),
  },
  {
    name: "session-read-memory-migrate",
    kind: "read",
    description:
      "session-read-memory with migrateFrom: expressSession({ secret, store }) set, the request carrying tessera's cookie only",
    server: "session-read.ts",
    env: { BENCH_STORE: "memory", BENCH_MIGRATE: "1" },
    compareWith: ["session-read-memory", "floor-bare"],
    // Issue 14: migrateFrom costs a request without a legacy cookie at most 2%.
    targets: [{ baseline: "session-read-memory", atLeast: 0.98 }],
    prepare: readSessionStarted,
  },
  {
    name: "session-nocookie-memory-migrate",
    kind: "read",
    description:
      "session-nocookie-memory with migrateFrom set: a request with no cookie at all, where the legacy cookie is looked for",
    server: "session-read.ts",
    env: { BENCH_STORE: "memory", BENCH_MIGRATE: "1" },
    compareWith: ["session-nocookie-memory", "floor-bare"],
    targets: [{ baseline: "session-nocookie-memory", atLeast: 0.98 }],
    prepare: async () => get("/public"),
  },
  {
    name: "session-read-memory-observed",
    kind: "read",
    description:
      "session-read-memory with a listener on every tessera diagnostics channel: what subscribing costs",
    server: "session-read.ts",
    env: { BENCH_STORE: "memory", BENCH_OBSERVE: "1" },
    compareWith: ["floor-bare", "session-read-memory"],
    prepare: readSessionStarted,
  },
  {
    name: "session-read-redis",
    kind: "read",
    description:
      "createSessions + withSessions, s.get() on every request, redisStore (node-redis 6)",
    server: "session-read.ts",
    env: { BENCH_STORE: "redis" },
    compareWith: [...REDIS_READ_FLOORS, "express-session-redis-read", "express-session-bare-read"],
    // Issue 13: at least 0.85 of bare node:http doing the one GET.
    targets: [{ baseline: "floor-redis-read", atLeast: 0.85 }],
    usesRedis: true,
    prepare: readSessionStarted,
  },
  {
    name: "session-write-memory",
    kind: "write",
    description:
      "createSessions + withSessions, s.set() on every request, memoryStore: the engine's own cost",
    server: "session-write.ts",
    env: { BENCH_STORE: "memory" },
    compareWith: ["floor-bare"],
    prepare: writeSessionStarted,
  },
  {
    name: "session-write-sqlite",
    kind: "write",
    description: "createSessions + withSessions, s.set() on every request, sqliteStore",
    server: "session-write.ts",
    env: { BENCH_STORE: "sqlite" },
    compareWith: WRITE_FLOORS,
    // Issue 13: at least 0.8 of the SQLite write floor.
    targets: [{ baseline: "floor-sqlite-write", atLeast: 0.8 }],
    prepare: writeSessionStarted,
  },
  {
    name: "session-write-redis",
    kind: "write",
    description:
      "createSessions + withSessions, s.set() on every request, redisStore (node-redis 6)",
    server: "session-write.ts",
    env: { BENCH_STORE: "redis" },
    compareWith: [
      ...REDIS_WRITE_FLOORS,
      "express-session-redis-write",
      "express-session-bare-write",
    ],
    // Issue 13: at least 0.8 of bare node:http doing the GET and the SET.
    targets: [{ baseline: "floor-redis-write", atLeast: 0.8 }],
    usesRedis: true,
    prepare: writeSessionStarted,
  },
  {
    name: "session-read-postgres",
    kind: "read",
    description:
      "createSessions + withSessions, s.get() on every request, postgresStore (pg Pool): one SELECT",
    server: "session-read.ts",
    env: { BENCH_STORE: "postgres" },
    compareWith: POSTGRES_READ_FLOORS,
    // Issue 10: at least 0.85 of bare node:http sending the store's SELECT on the same pool.
    targets: [{ baseline: "floor-postgres-read", atLeast: 0.85 }],
    usesPostgres: true,
    byNameOnly: true,
    prepare: sessionPerConnection(readSessionStarted),
  },
  {
    name: "session-write-postgres",
    kind: "write",
    description:
      "createSessions + withSessions, s.set() on every request, postgresStore (pg Pool): SELECT, then UPDATE",
    server: "session-write.ts",
    env: { BENCH_STORE: "postgres" },
    compareWith: POSTGRES_WRITE_FLOORS,
    // Issue 10: at least 0.85 of bare node:http sending the store's statements on the same pool.
    targets: [{ baseline: "floor-postgres-write", atLeast: 0.85 }],
    usesPostgres: true,
    byNameOnly: true,
    prepare: sessionPerConnection(writeSessionStarted),
  },
  {
    name: "express-session-redis-read",
    kind: "read",
    description: "peer: Express 5 + express-session + connect-redis, GET /api/me logged in",
    server: "express-session-redis.ts",
    env: { BENCH_WORKLOAD: "read" },
    compareWith: ["floor-express", ...REDIS_READ_FLOORS],
    usesRedis: true,
    prepare: expressLoggedIn,
  },
  {
    name: "express-session-redis-write",
    kind: "write",
    description: "peer: Express 5 + express-session + connect-redis, a key set on every request",
    server: "express-session-redis.ts",
    env: { BENCH_WORKLOAD: "write" },
    compareWith: ["floor-express", ...REDIS_WRITE_FLOORS],
    usesRedis: true,
    prepare: storeWriteStarted("connect.sid"),
  },
  {
    name: "express-session-bare-read",
    kind: "read",
    description:
      "peer without Express: express-session + connect-redis called from node:http, a read",
    server: "express-session-redis-bare.ts",
    env: { BENCH_WORKLOAD: "read" },
    compareWith: REDIS_READ_FLOORS,
    usesRedis: true,
    prepare: started("/read", "connect.sid"),
  },
  {
    name: "express-session-bare-write",
    kind: "write",
    description:
      "peer without Express: express-session + connect-redis called from node:http, a write",
    server: "express-session-redis-bare.ts",
    env: { BENCH_WORKLOAD: "write" },
    compareWith: REDIS_WRITE_FLOORS,
    usesRedis: true,
    prepare: started("/write", "connect.sid"),
  },
  {
    name: "express-tessera-redis-read",
    kind: "read",
    description:
      "Express 5 + expressSessions (tessera/express) + redisStore, req.session, GET /api/me logged in",
    server: "express-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "redis" },
    compareWith: ["floor-express", ...REDIS_READ_FLOORS, "express-session-redis-read"],
    targets: [{ baseline: "express-session-redis-read", atLeast: 2.5 }],
    usesRedis: true,
    prepare: loggedIn("session"),
  },
  {
    name: "express-tessera-redis-write",
    kind: "write",
    description:
      "Express 5 + expressSessions (tessera/express) + redisStore, req.session, a key set on every request",
    server: "express-tessera.ts",
    env: { BENCH_WORKLOAD: "write", BENCH_STORE: "redis" },
    compareWith: ["floor-express", ...REDIS_WRITE_FLOORS, "express-session-redis-write"],
    targets: [{ baseline: "express-session-redis-write", atLeast: 1.5 }],
    usesRedis: true,
    prepare: storeWriteStarted("session"),
  },
  {
    name: "express-tessera-memory-read",
    kind: "read",
    description:
      "Express 5 + expressSessions (tessera/express) + memoryStore, req.session, GET /api/me logged in: the adapter's own cost",
    server: "express-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "memory" },
    compareWith: ["floor-express"],
    // Issue 13: an adapter's cached session read at least 0.9 of its framework alone.
    targets: [{ baseline: "floor-express", atLeast: 0.9 }],
    prepare: loggedIn("session"),
  },
  {
    name: "express-tessera-nocookie",
    kind: "read",
    description:
      "Express 5 + expressSessions + memoryStore, GET / with no cookie: a page that reads req.session and finds no one",
    server: "express-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "memory" },
    compareWith: ["floor-express"],
    // Issue 13: a request without a session cookie at least 0.97 of the framework alone.
    targets: [{ baseline: "floor-express", atLeast: 0.97 }],
    prepare: noSetup,
  },
  {
    name: "express-tessera-postgres-read",
    kind: "read",
    description:
      "Express 5 + expressSessions (tessera/express) + postgresStore (pg Pool), req.session, GET /api/me logged in",
    server: "express-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "postgres" },
    compareWith: ["floor-express", ...POSTGRES_READ_FLOORS, "express-session-postgres-read"],
    // Issue 10: at least 3× express-session + connect-pg-simple on reads.
    targets: [{ baseline: "express-session-postgres-read", atLeast: 3 }],
    usesPostgres: true,
    byNameOnly: true,
    prepare: sessionPerConnection(loggedIn("session")),
  },
  {
    name: "express-tessera-postgres-write",
    kind: "write",
    description:
      "Express 5 + expressSessions (tessera/express) + postgresStore (pg Pool), req.session, a key set on every request",
    server: "express-tessera.ts",
    env: { BENCH_WORKLOAD: "write", BENCH_STORE: "postgres" },
    compareWith: ["floor-express", ...POSTGRES_WRITE_FLOORS, "express-session-postgres-write"],
    // Issue 10: at least 2× express-session + connect-pg-simple on writes.
    targets: [{ baseline: "express-session-postgres-write", atLeast: 2 }],
    usesPostgres: true,
    byNameOnly: true,
    prepare: sessionPerConnection(storeWriteStarted("session")),
  },
  {
    name: "express-session-postgres-read",
    kind: "read",
    description:
      "peer: Express 5 + express-session + connect-pg-simple (pg Pool), GET /api/me logged in: SELECT, then the touch's UPDATE",
    server: "express-session-postgres.ts",
    env: { BENCH_WORKLOAD: "read" },
    compareWith: ["floor-express", ...POSTGRES_READ_FLOORS],
    usesPostgres: true,
    byNameOnly: true,
    prepare: sessionPerConnection(expressLoggedIn),
  },
  {
    name: "express-session-postgres-write",
    kind: "write",
    description:
      "peer: Express 5 + express-session + connect-pg-simple (pg Pool), a key set on every request: SELECT, then INSERT … ON CONFLICT",
    server: "express-session-postgres.ts",
    env: { BENCH_WORKLOAD: "write" },
    compareWith: ["floor-express", ...POSTGRES_WRITE_FLOORS],
    usesPostgres: true,
    byNameOnly: true,
    prepare: sessionPerConnection(storeWriteStarted("connect.sid")),
  },
  {
    name: "fastify-tessera-redis-read",
    kind: "read",
    description:
      "Fastify 5 + fastifySessions (tessera/fastify) + redisStore, request.session.get, GET /api/me logged in",
    server: "fastify-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "redis" },
    compareWith: [
      "floor-fastify",
      ...REDIS_READ_FLOORS,
      "fastify-session-redis-read",
      "fastify-session-rolling-read",
    ],
    targets: [{ baseline: "fastify-session-redis-read", atLeast: 2 }],
    usesRedis: true,
    prepare: loggedIn("session"),
  },
  {
    name: "fastify-tessera-redis-write",
    kind: "write",
    description:
      "Fastify 5 + fastifySessions (tessera/fastify) + redisStore, request.session.set on every request",
    server: "fastify-tessera.ts",
    env: { BENCH_WORKLOAD: "write", BENCH_STORE: "redis" },
    compareWith: ["floor-fastify", ...REDIS_WRITE_FLOORS, "fastify-session-redis-write"],
    // Issue 13: at least 1.3× @fastify/session + connect-redis (issue 7 asked 1.2×).
    targets: [{ baseline: "fastify-session-redis-write", atLeast: 1.3 }],
    usesRedis: true,
    prepare: storeWriteStarted("session"),
  },
  {
    name: "fastify-tessera-memory-read",
    kind: "read",
    description:
      "Fastify 5 + fastifySessions (tessera/fastify) + memoryStore, request.session.get, GET /api/me logged in: the adapter's own cost",
    server: "fastify-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "memory" },
    compareWith: ["floor-fastify", "floor-fastify-hooks"],
    targets: [{ baseline: "floor-fastify", atLeast: 0.9 }],
    prepare: loggedIn("session"),
  },
  {
    name: "fastify-tessera-nocookie",
    kind: "read",
    description:
      "Fastify 5 + fastifySessions + memoryStore, GET / with no cookie: a page that reads request.session and finds no one",
    server: "fastify-tessera.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_STORE: "memory" },
    compareWith: ["floor-fastify", "floor-fastify-hooks"],
    targets: [{ baseline: "floor-fastify", atLeast: 0.97 }],
    prepare: noSetup,
  },
  {
    name: "fastify-session-redis-read",
    kind: "read",
    description:
      "peer: Fastify 5 + @fastify/session (rolling: false) + connect-redis, GET /api/me logged in",
    server: "fastify-session-redis.mjs",
    env: { BENCH_WORKLOAD: "read", BENCH_ROLLING: "false" },
    compareWith: ["floor-fastify", ...REDIS_READ_FLOORS],
    usesRedis: true,
    prepare: loggedIn(FASTIFY_SESSION_COOKIE),
  },
  {
    name: "fastify-session-rolling-read",
    kind: "read",
    description:
      "peer: the same with @fastify/session's default rolling: true (a SET and a cookie per read)",
    server: "fastify-session-redis.mjs",
    env: { BENCH_WORKLOAD: "read", BENCH_ROLLING: "true" },
    compareWith: ["floor-fastify", ...REDIS_READ_FLOORS],
    usesRedis: true,
    prepare: loggedIn(FASTIFY_SESSION_COOKIE),
  },
  {
    name: "fastify-session-redis-write",
    kind: "write",
    description: "peer: Fastify 5 + @fastify/session + connect-redis, a key set on every request",
    server: "fastify-session-redis.mjs",
    env: { BENCH_WORKLOAD: "write", BENCH_ROLLING: "false" },
    compareWith: ["floor-fastify", ...REDIS_WRITE_FLOORS],
    usesRedis: true,
    prepare: storeWriteStarted(FASTIFY_SESSION_COOKIE),
  },
  {
    name: "session-read-flask",
    kind: "read",
    description:
      'createSessions({ format: "flask" }) + withSessions, no store: s.get() from the Flask cookie',
    server: "session-cookie.ts",
    env: { BENCH_FORMAT: "flask", BENCH_WORKLOAD: "read" },
    compareWith: ["floor-bare", "floor-bare-cookie", ...COOKIE_READ_PEERS],
    // Issue 13: at least 0.9 of bare node:http (issue 4 asked 0.8); issue 4: 5× both peers.
    targets: [
      { baseline: "floor-bare", atLeast: 0.9 },
      { baseline: "cookie-session-read", atLeast: 5 },
      { baseline: "iron-session-read", atLeast: 5 },
    ],
    prepare: started("/read"),
  },
  {
    name: "session-write-flask",
    kind: "write",
    description:
      'createSessions({ format: "flask" }) + withSessions, no store: s.set(), a new Flask cookie per request',
    server: "session-cookie.ts",
    env: { BENCH_FORMAT: "flask", BENCH_WORKLOAD: "write" },
    compareWith: ["floor-bare", ...COOKIE_WRITE_PEERS],
    // Issue 13: at least 0.6 of bare node:http.
    targets: [{ baseline: "floor-bare", atLeast: 0.6 }],
    prepare: cookieWriteStarted(),
  },
  {
    name: "session-read-sealed",
    kind: "read",
    description:
      'createSessions({ format: "sealed" }) + withSessions, no store: s.get() from the sealed cookie',
    server: "session-cookie.ts",
    env: { BENCH_FORMAT: "sealed", BENCH_WORKLOAD: "read" },
    compareWith: ["floor-bare", ...COOKIE_READ_PEERS],
    prepare: started("/read"),
  },
  {
    name: "session-write-sealed",
    kind: "write",
    description:
      'createSessions({ format: "sealed" }) + withSessions, no store: s.set(), a new sealed cookie per request',
    server: "session-cookie.ts",
    env: { BENCH_FORMAT: "sealed", BENCH_WORKLOAD: "write" },
    compareWith: ["floor-bare", ...COOKIE_WRITE_PEERS],
    prepare: cookieWriteStarted(),
  },
  {
    name: "cookie-session-read",
    kind: "read",
    description: "peer: cookie-session (keys: [secret]) called from node:http, a read",
    server: "cookie-session-peer.ts",
    env: { BENCH_WORKLOAD: "read" },
    compareWith: ["floor-bare"],
    prepare: started("/read", COOKIE_SESSION_COOKIES),
  },
  {
    name: "cookie-session-write",
    kind: "write",
    description:
      "peer: cookie-session (keys: [secret]) called from node:http, a key set per request",
    server: "cookie-session-peer.ts",
    env: { BENCH_WORKLOAD: "write" },
    compareWith: ["floor-bare"],
    prepare: cookieWriteStarted(COOKIE_SESSION_COOKIES),
  },
  {
    name: "iron-session-read",
    kind: "read",
    description: "peer: iron-session 9, getIronSession(req, res, { password, cookieName }), a read",
    server: "iron-session-peer.ts",
    env: { BENCH_WORKLOAD: "read" },
    compareWith: ["floor-bare"],
    prepare: started("/read"),
  },
  {
    name: "iron-session-write",
    kind: "write",
    description: "peer: iron-session 9, a key set and session.save() on every request",
    server: "iron-session-peer.ts",
    env: { BENCH_WORKLOAD: "write" },
    compareWith: ["floor-bare"],
    prepare: cookieWriteStarted(),
  },
  {
    name: "hono-tessera-cookie-read",
    kind: "read",
    description:
      'Hono + honoSessions (tessera/hono), createSessions({ format: "sealed" }): c.var.session.get()',
    server: "hono-tessera.ts",
    env: { BENCH_FORMAT: "sealed", BENCH_WORKLOAD: "read" },
    compareWith: ["floor-hono", "floor-bare", ...HONO_READ_PEERS],
    prepare: started("/read"),
  },
  {
    name: "hono-tessera-cookie-write",
    kind: "write",
    description:
      'Hono + honoSessions (tessera/hono), format "sealed": c.var.session.set(), a new cookie per request',
    server: "hono-tessera.ts",
    env: { BENCH_FORMAT: "sealed", BENCH_WORKLOAD: "write" },
    compareWith: ["floor-hono", "floor-bare", ...HONO_WRITE_PEERS],
    prepare: cookieWriteStarted(),
  },
  {
    name: "hono-tessera-flask-read",
    kind: "read",
    description:
      'Hono + honoSessions (tessera/hono), createSessions({ format: "flask" }): c.var.session.get()',
    server: "hono-tessera.ts",
    env: { BENCH_FORMAT: "flask", BENCH_WORKLOAD: "read" },
    compareWith: ["floor-hono", "floor-bare", ...HONO_READ_PEERS],
    prepare: started("/read"),
  },
  {
    name: "hono-tessera-flask-write",
    kind: "write",
    description:
      'Hono + honoSessions (tessera/hono), format "flask": c.var.session.set(), a new cookie per request',
    server: "hono-tessera.ts",
    env: { BENCH_FORMAT: "flask", BENCH_WORKLOAD: "write" },
    compareWith: ["floor-hono", "floor-bare", ...HONO_WRITE_PEERS],
    prepare: cookieWriteStarted(),
  },
  {
    name: "hono-tessera-memory-read",
    kind: "read",
    description:
      "Hono + honoSessions (tessera/hono) + memoryStore, c.var.session.get(): the adapter's own cost",
    server: "hono-tessera.ts",
    env: { BENCH_STORE: "memory", BENCH_WORKLOAD: "read" },
    compareWith: ["floor-hono"],
    targets: [{ baseline: "floor-hono", atLeast: 0.9 }],
    prepare: started("/read"),
  },
  {
    name: "hono-tessera-nocookie",
    kind: "read",
    description:
      "Hono + honoSessions + memoryStore, no cookie: a page that reads c.var.session and finds no one",
    server: "hono-tessera.ts",
    env: { BENCH_STORE: "memory", BENCH_WORKLOAD: "read" },
    compareWith: ["floor-hono"],
    targets: [{ baseline: "floor-hono", atLeast: 0.97 }],
    prepare: async () => get("/public"),
  },
  {
    name: "hono-sessions-read",
    kind: "read",
    description:
      "peer: hono-sessions 0.8 CookieStore + encryptionKey (README settings; re-seals its cookie on every request), a read",
    server: "hono-sessions-peer.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_EXTEND: "true" },
    compareWith: ["floor-hono", "floor-bare"],
    prepare: started("/read"),
  },
  {
    name: "hono-sessions-noextend-read",
    kind: "read",
    description:
      "peer: hono-sessions with autoExtendExpiration: false (a read sends no cookie), a read",
    server: "hono-sessions-peer.ts",
    env: { BENCH_WORKLOAD: "read", BENCH_EXTEND: "false" },
    compareWith: ["floor-hono", "floor-bare"],
    prepare: started("/read"),
  },
  {
    name: "hono-sessions-write",
    kind: "write",
    description: "peer: hono-sessions 0.8 CookieStore + encryptionKey, a key set per request",
    server: "hono-sessions-peer.ts",
    env: { BENCH_WORKLOAD: "write", BENCH_EXTEND: "true" },
    compareWith: ["floor-hono", "floor-bare"],
    prepare: cookieWriteStarted(),
  },
  {
    name: "honojs-session-read",
    kind: "read",
    description: "peer: @hono/session 0.2 useSession({ secret, duration }), await session.get()",
    server: "honojs-session-peer.ts",
    env: { BENCH_WORKLOAD: "read" },
    compareWith: ["floor-hono", "floor-bare"],
    prepare: started("/read", HONOJS_SESSION_COOKIE),
  },
  {
    name: "honojs-session-write",
    kind: "write",
    description: "peer: @hono/session 0.2, await session.update(fn) per request (a new JWE)",
    server: "honojs-session-peer.ts",
    env: { BENCH_WORKLOAD: "write" },
    compareWith: ["floor-hono", "floor-bare"],
    prepare: cookieWriteStarted(HONOJS_SESSION_COOKIE),
  },
];

/**
 * `--quick`'s contenders: each target of issue 13's with its baselines, so a quick run says
 * where the targets stand in under two minutes.
 */
const QUICK = new Set([
  "floor-bare",
  "floor-bare-setheader",
  "session-nocookie-memory",
  "session-read-memory",
  "session-read-memory-setheader",
  "floor-redis-read",
  "session-read-redis",
  "floor-redis-write",
  "session-write-redis",
  "floor-sqlite-write",
  "session-write-sqlite",
  "session-read-flask",
  "session-write-flask",
  "floor-express",
  "express-tessera-nocookie",
  "express-tessera-memory-read",
  "floor-fastify",
  "fastify-tessera-nocookie",
  "fastify-tessera-memory-read",
  "fastify-tessera-redis-write",
  "fastify-session-redis-write",
  "floor-hono",
  "hono-tessera-nocookie",
  "hono-tessera-memory-read",
]);

/**
 * The contenders BENCH_ONLY names, in table order (an unknown name is an error, not a no-op);
 * without it, `--quick`'s set or all of them.
 */
export function selectContenders(
  only: readonly string[] | undefined,
  quick = false,
): readonly Contender[] {
  if (only === undefined) {
    return CONTENDERS.filter((contender) =>
      quick ? QUICK.has(contender.name) : contender.byNameOnly !== true,
    );
  }
  const known = new Set(CONTENDERS.map((contender) => contender.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY names unknown contenders: ${unknown.join(", ")}. Known: ${[...known].join(", ")}.`,
    );
  }
  return CONTENDERS.filter((contender) => only.includes(contender.name));
}
