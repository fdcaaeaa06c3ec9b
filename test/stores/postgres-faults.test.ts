/**
 * PostgreSQL faults, against a private cluster and a private PgBouncer
 * (test/support/postgres-server.ts), never a mock:
 *
 * - A killed server. Visitors loop logged-in reads and increments of a counter in their
 *   session (half of them also log in again and out) against an app served over real HTTP
 *   through tessera/node, its sessions in PostgreSQL through a pg Pool or postgres.js, while the
 *   test SIGKILLs the postmaster and every backend, waits, and starts it again on the same port
 *   and data dir. What must hold:
 *     (a) every request gets an answer, in bounded time (measured generously: the machine may
 *         be loaded), and while the server is down every answer is a 503 with the clear body
 *         and Retry-After;
 *     (b) nothing escapes: no uncaughtException or unhandledRejection (pg's Pool emits "error"
 *         for its idle connections when the server dies), the app's server keeps listening;
 *     (c) no change gets a 2xx unless it was stored: what was committed before the kill is
 *         there after crash recovery, so each session's counter is the number of increments
 *         that got a 2xx, plus at most the ones that got a 503 (a 503 promises nothing either
 *         way); an acknowledged logout, or the old id of an acknowledged login, stays ended;
 *     (d) once the server is back, the same app serves every visitor again, without a restart.
 * - PgBouncer in transaction mode (a server connection lent per transaction, so no
 *   session-level state survives between statements): the conformance suite, the table made
 *   on first use by the store's multi-statement script, and a login, read, write and logout
 *   over HTTP, through a pg Pool and through postgres.js. The store names its statements by
 *   default; through a pg Pool PgBouncer 1.18 loses them, and the store must fall back to
 *   unnamed ones without failing a call (tested against a raw named query that does fail there).
 *   postgres.js needs two options there:
 *   `prepare: false`, and `max_pipeline: 1`, as without it a connection that pipelines is
 *   wedged for good by PgBouncer 1.18; the store's deadline must still end each call on it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, describe, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import postgres from "postgres";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import { StoreUnavailableError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { PostgresClientLike } from "../../src/stores/postgres/connection.ts";
import { postgresStore } from "../../src/stores/postgres/index.ts";
import { listenNode } from "../runtimes/listen.ts";
import { CookieClient } from "../support/client.ts";
import { startPgBouncer, startPostgresServer } from "../support/postgres-server.ts";

const server = await startPostgresServer();
const bouncer = await startPgBouncer(server);
const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
  await bouncer.stop();
  await server.stop();
});

/** A client the store accepts, opened on a URL. */
interface Opened {
  readonly client: PostgresClientLike;
  close(): Promise<void>;
  /** Opens more connections than the app's load keeps busy, so that some sit idle. */
  warm?(): Promise<void>;
  /** How many "error" events the client emitted for idle connections. */
  idleErrors?(): number;
}

interface Library {
  readonly name: string;
  /** `bouncer` when PgBouncer in transaction mode is between the client and the server. */
  open(url: string, bouncer: boolean): Opened;
}

const LIBRARIES: readonly Library[] = [
  {
    name: "pg Pool",
    open(url) {
      const pool = new pg.Pool({ connectionString: url, max: 20, idleTimeoutMillis: 0 });
      // Counts the "error" events the Pool emits when an idle connection dies, without
      // listening to them: a listener here would hide a store that does not listen.
      let idleErrors = 0;
      const emit = pool.emit.bind(pool);
      pool.emit = (event: string | symbol, ...args: unknown[]) => {
        if (event === "error") idleErrors += 1;
        return emit(event, ...args);
      };
      return {
        client: pool,
        close: () => pool.end(),
        warm: async () => {
          await Promise.all(Array.from({ length: 16 }, () => pool.query("SELECT pg_sleep(0.02)")));
        },
        idleErrors: () => idleErrors,
      };
    },
  },
  {
    name: "postgres.js",
    open(url, bouncer) {
      const sql = postgres(url, {
        max: 6,
        onnotice: () => {},
        // Behind PgBouncer in transaction mode: a statement prepared on one server connection
        // is missing on the next, so no prepared statements (this setting also stops the
        // store's own); and no pipelining, which wedges the connection there (see the
        // pipelining test).
        ...(bouncer ? { prepare: false, max_pipeline: 1 } : {}),
        // After failed connection attempts postgres.js fails queries at once, without trying,
        // for a backoff that grows to 20 s by default (a 1.5 s outage cost 5 s of 503s once
        // the server was back); a short one keeps the test short.
        backoff: () => 0.1,
      });
      return { client: sql, close: () => sql.end({ timeout: 1 }) };
    },
  },
];

// --- the app -------------------------------------------------------------------------------------

interface Shape {
  user: string;
  count: number;
}

const BODY_503 =
  "503 Service Unavailable: the session store is not answering; try again shortly.\n";

/** Every route but /login needs a signed-in session; /inc adds one to the session's counter. */
function app(sessions: SessionManager<Shape>) {
  return withSessions(sessions, async (req, res, { session }) => {
    const url = new URL(req.url ?? "/", "http://app");
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const current = await session();
    switch (`${req.method} ${url.pathname}`) {
      case "POST /login":
        current.regenerate();
        current.set("user", url.searchParams.get("user") ?? "");
        current.set("count", 0);
        return json(200, { count: 0 });
      case "POST /inc": {
        if (current.get("user") === undefined) return json(401, {});
        const count = (current.get("count") ?? 0) + 1;
        current.set("count", count);
        return json(200, { count });
      }
      case "GET /count":
        if (current.get("user") === undefined) return json(401, {});
        return json(200, { count: current.get("count") });
      case "POST /logout":
        current.destroy();
        return json(200, {});
      default:
        return json(404, {});
    }
  });
}

function sessionsOn(client: PostgresClientLike, table: string): SessionManager<Shape> {
  return createSessions<Shape>({
    secret: randomBytes(32).toString("base64url"),
    store: postgresStore({ client, table, sweepInterval: false }),
    storeTimeout: "1s",
  });
}

async function serve(sessions: SessionManager<Shape>) {
  const httpServer = createServer(app(sessions));
  const listening = await listenNode(httpServer);
  return { httpServer, url: listening.url, close: () => listening.close() };
}

// --- PgBouncer in transaction mode ----------------------------------------------------------------

for (const library of LIBRARIES) {
  const opened = library.open(bouncer.url, true);
  closing.push(opened.close);
  const slug = library.name.replace(/\W+/g, "_").toLowerCase();
  const conformanceTable = `bouncer_conformance_${slug}`;
  runStoreConformance(`postgres through PgBouncer in transaction mode (${library.name})`, () =>
    postgresStore({ client: opened.client, table: conformanceTable, sweepInterval: false }),
  );

  describe(`PgBouncer in transaction mode (${library.name})`, () => {
    test("the first call makes the table and its indexes with the store's multi-statement script", async () => {
      const table = `bouncer_ddl_${slug}`;
      const store = postgresStore({ client: opened.client, table, sweepInterval: false });
      try {
        assert.equal(await store.get("x".repeat(43)), undefined);
      } finally {
        await store.close();
      }
      const direct = new pg.Client({ connectionString: server.url });
      await direct.connect();
      try {
        const { rows } = await direct.query(
          "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
          [table],
        );
        assert.deepEqual(
          rows.map((row) => row.indexname),
          [`${table}_expires_at`, `${table}_pkey`, `${table}_user_id`],
        );
      } finally {
        await direct.end();
      }
    });

    test("a visitor logs in, reads, writes and logs out over HTTP", async () => {
      const sessions = sessionsOn(opened.client, `bouncer_http_${slug}`);
      const served = await serve(sessions);
      try {
        const browser = new CookieClient(served.url);
        assert.equal((await browser.get("/count")).status, 401);
        assert.equal((await browser.post("/login?user=ada")).status, 200);
        const loggedIn = browser.jar.get("session");
        assert.ok(loggedIn, "the login set the session cookie");
        for (const expected of [1, 2, 3]) {
          const inc = await browser.post("/inc");
          assert.equal(inc.status, 200);
          assert.deepEqual(inc.json(), { count: expected });
        }
        const read = await browser.get("/count");
        assert.equal(read.status, 200);
        assert.deepEqual(read.json(), { count: 3 });
        const logout = await browser.post("/logout");
        assert.equal(logout.status, 200);
        assert.equal(browser.jar.get("session"), undefined, "the logout cleared the cookie");
        const stale = await browser.get("/count", { cookie: `session=${loggedIn}` });
        assert.equal(stale.status, 401, "the ended session stays ended");
      } finally {
        await served.close();
        await sessions.close();
      }
    });
  });
}

describe("named statements through PgBouncer in transaction mode", () => {
  test("PgBouncer loses them, and the store falls back to unnamed ones without failing a call", async () => {
    const pool = new pg.Pool({ connectionString: bouncer.url, max: 12 });
    closing.push(() => pool.end());
    // What a store that named its statements and did nothing more would meet: a raw named
    // statement, sent from many pool connections at once, is missing or duplicated on the
    // server connection PgBouncer lends for the next transaction.
    const codes = new Set<string>();
    for (let round = 0; round < 5 && codes.size === 0; round += 1) {
      await Promise.all(
        Array.from({ length: 60 }, (_, index) =>
          pool
            .query({
              name: "probe_lost",
              text: "SELECT $1::int + pg_sleep(0.001)::text::int AS n",
              values: [index],
            })
            .catch((error: { code?: string }) => {
              codes.add(String(error.code));
            }),
        ),
      );
    }
    assert.ok(
      [...codes].some((code) => code === "26000" || code === "42P05"),
      `a raw named statement fails through PgBouncer (codes seen: ${[...codes].join(", ") || "none"})`,
    );

    const store = postgresStore({ client: pool, table: "bouncer_named", sweepInterval: false });
    closing.push(() => store.close());
    const now = Date.now();
    const ids = Array.from({ length: 60 }, () => randomBytes(32).toString("base64url"));
    for (let round = 0; round < 5; round += 1) {
      await Promise.all(
        ids.map(async (id, index) => {
          await store.apply(
            id,
            { clear: false, set: new Map([[`k${round}`, index]]), delete: new Set() },
            { createdAt: now, expiresAt: now + 60_000, mustExist: round > 0 },
          );
          assert.equal((await store.get(id))?.data[`k${round}`], index);
        }),
      );
    }
  });
});

describe("postgres.js pipelining through PgBouncer in transaction mode", () => {
  test("a wedged connection costs 503s within the deadline, never a hung call", async (t) => {
    // postgres.js sends a query while the previous one on its connection still runs; PgBouncer
    // 1.18 in transaction mode then loses track of the connection, and every query sent on it
    // waits forever. That is why the clients above set max_pipeline: 1. Without it, the store's
    // deadline must still end each call, as a StoreUnavailableError (a 503).
    const sql = postgres(bouncer.url, { max: 1, prepare: false, onnotice: () => {} });
    const store = postgresStore({
      client: sql,
      table: "bouncer_pipelined",
      timeout: "500ms",
      sweepInterval: false,
    });
    try {
      const now = Date.now();
      const write = (id: string) =>
        store.apply(
          id,
          { clear: false, set: new Map([["a", 1]]), delete: new Set() },
          { createdAt: now, expiresAt: now + 60_000, mustExist: false },
        );
      await write("first");
      const settled = (call: Promise<unknown>) =>
        call.then(
          () => "ok",
          (error: unknown) => (error instanceof StoreUnavailableError ? "503" : String(error)),
        );
      const start = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          settled(index % 2 === 0 ? write(`id${index}`) : store.get("first")),
        ),
      );
      const later = await settled(store.get("first"));
      const elapsed = performance.now() - start;
      t.diagnostic(
        `concurrent calls: ${outcomes.join(", ")}; a later call: ${later}; ${elapsed.toFixed(0)} ms`,
      );
      for (const outcome of [...outcomes, later]) assert.match(outcome, /^(ok|503)$/);
      assert.ok(elapsed < MAX_ANSWER_MS, `all settled within ${MAX_ANSWER_MS} ms`);
    } finally {
      await store.close();
      await sql.end({ timeout: 0 });
    }
  });
});

// --- a killed server under load --------------------------------------------------------------------

const VISITORS = 10;
/** A request with no answer by then hung (the client gives up on it). */
const REQUEST_TIMEOUT_MS = 20_000;
/**
 * The slowest answer allowed. A request makes at most two store calls, each with the 1 s
 * deadline; a loaded machine adds its scheduling. Generous on purpose: this tells a bounded
 * answer from a hang, and is no measure of speed.
 */
const MAX_ANSWER_MS = 10_000;
const LOAD_BEFORE_KILL_MS = 1_000;
const OUTAGE_MS = 1_500;
const RECOVERY_DEADLINE_MS = 30_000;
const STEADY_AFTER_RECOVERY_MS = 500;

type Op = "login" | "inc" | "read" | "logout";

interface Sample {
  readonly op: Op;
  readonly start: number;
  readonly end: number;
  /** 0 when the request failed on the client side (timeout, reset). */
  readonly status: number;
  readonly error?: string;
}

/**
 * One visitor and what it may expect of its session. The counter is somewhere in
 * [floor, ceiling]: `floor` is the newest value known stored (an acknowledged increment, or a
 * read), `ceiling` adds the increments whose 503 leaves it unknown. `acked` and `unsure` count
 * the current session's increments that got a 2xx and a 503.
 */
class Visitor {
  readonly name: string;
  /** A churning visitor also logs in again (regenerate) and out; the others never do. */
  readonly churns: boolean;
  readonly violations: string[];
  cookie: string | undefined;
  floor = 0;
  ceiling = 0;
  acked = 0;
  unsure = 0;
  /** A login (regenerate) or logout got a 503: whether it reached PostgreSQL is unknown. */
  mayBeGone = false;
  /** Cookies of sessions ended by an acknowledged logout or login: they must stay ended. */
  readonly ended: string[] = [];
  /** 200s to requests sent after the restart. */
  servedAfterRestart = 0;

  constructor(name: string, churns: boolean, violations: string[]) {
    this.name = name;
    this.churns = churns;
    this.violations = violations;
  }

  startSession(cookie: string): void {
    this.cookie = cookie;
    this.floor = 0;
    this.ceiling = 0;
    this.acked = 0;
    this.unsure = 0;
    this.mayBeGone = false;
  }
}

interface Answer {
  status: number;
  body: string;
  retryAfter: string | null;
  /** The session cookie it set: a value, "" when cleared, undefined when untouched. */
  cookie: string | undefined;
}

async function send(
  base: string,
  method: string,
  path: string,
  cookie: string | undefined,
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: cookie === undefined ? {} : { cookie: `session=${cookie}` },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  let set: string | undefined;
  for (const header of response.headers.getSetCookie()) {
    const match = /^session=([^;]*)/.exec(header);
    if (match) set = /max-age=0/i.test(header) ? "" : (match[1] ?? "");
  }
  return {
    status: response.status,
    body: await response.text(),
    retryAfter: response.headers.get("retry-after"),
    cookie: set,
  };
}

function pickOp(visitor: Visitor): Op {
  if (visitor.cookie === undefined) return "login";
  const dice = Math.random();
  if (!visitor.churns) return dice < 0.6 ? "inc" : "read";
  if (dice < 0.45) return "inc";
  if (dice < 0.8) return "read";
  if (dice < 0.9) return "login";
  return "logout";
}

/** One request of `visitor`'s loop, its answer checked against what the visitor knows. */
async function step(base: string, visitor: Visitor, samples: Sample[]): Promise<Sample> {
  const op = pickOp(visitor);
  const path = {
    login: `/login?user=${visitor.name}`,
    inc: "/inc",
    read: "/count",
    logout: "/logout",
  }[op];
  const start = performance.now();
  let answer: Answer;
  try {
    answer = await send(base, op === "read" ? "GET" : "POST", path, visitor.cookie);
  } catch (error) {
    const sample = { op, start, end: performance.now(), status: 0, error: String(error) };
    samples.push(sample);
    return sample;
  }
  const sample = { op, start, end: performance.now(), status: answer.status };
  samples.push(sample);
  const fail = (what: string): void => {
    visitor.violations.push(`${visitor.name} ${op}: ${what}`);
  };

  if (answer.status === 503) {
    if (answer.body !== BODY_503) fail(`503 body ${JSON.stringify(answer.body)}`);
    if (answer.retryAfter !== "1") fail("503 without Retry-After: 1");
    if (answer.cookie !== undefined) fail("a 503 set the session cookie");
    // What the failed change did is unknown: it may have been stored.
    if (op === "inc") {
      visitor.ceiling += 1;
      visitor.unsure += 1;
    }
    if (op === "login" || op === "logout") visitor.mayBeGone = true;
    return sample;
  }
  if (answer.status === 401 && op !== "login") {
    // Only a login or logout that may have gone through can have ended the session.
    if (!visitor.mayBeGone) fail("401 for a session whose changes were all acknowledged");
    visitor.cookie = undefined;
    return sample;
  }
  if (answer.status !== 200) {
    fail(`unexpected ${answer.status} ${answer.body}`);
    return sample;
  }
  switch (op) {
    case "login":
      if (!answer.cookie) {
        fail("a 200 login without a session cookie");
        return sample;
      }
      // The old id was renamed away (regenerate): it must never answer again.
      if (visitor.cookie !== undefined) visitor.ended.push(visitor.cookie);
      visitor.startSession(answer.cookie);
      return sample;
    case "inc": {
      if (answer.cookie === "") {
        // The record was gone when the engine wrote (ended meanwhile): nothing stored, and
        // the response says so by clearing the cookie.
        if (!visitor.mayBeGone) fail("an increment found its acknowledged session gone");
        visitor.cookie = undefined;
        return sample;
      }
      const { count } = JSON.parse(answer.body) as { count: number };
      if (count < visitor.floor + 1 || count > visitor.ceiling + 1) {
        fail(`a 200 increment to ${count}; the counter was ${visitor.floor}..${visitor.ceiling}`);
      }
      visitor.floor = count;
      visitor.ceiling = count;
      visitor.acked += 1;
      return sample;
    }
    case "read": {
      const { count } = JSON.parse(answer.body) as { count: number };
      if (count < visitor.floor || count > visitor.ceiling) {
        fail(`read ${count}, expected ${visitor.floor}..${visitor.ceiling}`);
      }
      visitor.floor = Math.max(visitor.floor, count);
      return sample;
    }
    case "logout":
      if (answer.cookie !== "") fail("a 200 logout did not clear the cookie");
      if (visitor.cookie !== undefined) visitor.ended.push(visitor.cookie);
      visitor.cookie = undefined;
      visitor.mayBeGone = false;
      return sample;
  }
}

describe("a killed PostgreSQL server under load, through the node:http adapter", () => {
  const escaped: string[] = [];
  const onUncaught = (error: unknown): void => {
    escaped.push(`uncaughtException: ${String(error)}`);
  };
  const onUnhandled = (error: unknown): void => {
    escaped.push(`unhandledRejection: ${String(error)}`);
  };

  for (const library of LIBRARIES) {
    test(`${VISITORS} visitors, PostgreSQL SIGKILLed for ${OUTAGE_MS / 1000} s and restarted (${library.name})`, async (t: TestContext) => {
      process.on("uncaughtException", onUncaught);
      process.on("unhandledRejection", onUnhandled);
      escaped.length = 0;
      const opened = library.open(server.url, false);
      const { client } = opened;
      const sessions = sessionsOn(
        client,
        `killed_${library.name.replace(/\W+/g, "_").toLowerCase()}`,
      );
      const served = await serve(sessions);
      const violations: string[] = [];
      const visitors = Array.from(
        { length: VISITORS },
        (_, index) => new Visitor(`visitor${index}`, index % 2 === 1, violations),
      );
      const samples: Sample[] = [];
      let running = true;
      let restartedAt = Number.POSITIVE_INFINITY;

      const loops = visitors.map(async (visitor) => {
        while (running) {
          const sample = await step(served.url, visitor, samples);
          if (sample.start >= restartedAt && sample.status === 200) visitor.servedAfterRestart += 1;
          await sleep(5 + Math.random() * 10);
        }
      });

      try {
        await sleep(LOAD_BEFORE_KILL_MS);
        await opened.warm?.();
        const killStart = performance.now();
        await server.kill();
        const killedAt = performance.now();
        await sleep(OUTAGE_MS);
        const restartStart = performance.now();
        await server.restart();
        restartedAt = performance.now();

        const deadline = restartedAt + RECOVERY_DEADLINE_MS;
        while (
          visitors.some((visitor) => visitor.servedAfterRestart === 0) &&
          performance.now() < deadline
        ) {
          await sleep(50);
        }
        const recoveredAt = performance.now();
        await sleep(STEADY_AFTER_RECOVERY_MS);
        running = false;
        await Promise.all(loops);

        // After the load: each session's counter is what its visitor was told, ended sessions
        // stay ended.
        let exact = 0;
        let storedDespite503 = 0;
        for (const visitor of visitors) {
          if (visitor.cookie !== undefined) {
            const answer = await send(served.url, "GET", "/count", visitor.cookie);
            if (answer.status === 200) {
              const { count } = JSON.parse(answer.body) as { count: number };
              if (count < visitor.floor || count > visitor.ceiling) {
                violations.push(
                  `${visitor.name} final count ${count}, expected ${visitor.floor}..${visitor.ceiling}`,
                );
              }
              // Every 2xx increment is in the counter; beyond them, only 503'd ones can be.
              const extra = count - visitor.acked;
              if (extra < 0 || extra > visitor.unsure) {
                violations.push(
                  `${visitor.name} final count ${count} after ${visitor.acked} acknowledged and ${visitor.unsure} failed increments`,
                );
              }
              if (extra === 0) exact += 1;
              storedDespite503 += Math.max(0, extra);
            } else if (!(answer.status === 401 && visitor.mayBeGone)) {
              violations.push(`${visitor.name} final read ${answer.status}`);
            }
          }
          for (const cookie of visitor.ended) {
            const answer = await send(served.url, "GET", "/count", cookie);
            if (answer.status !== 401) {
              violations.push(`${visitor.name}: an ended session answered ${answer.status}`);
            }
          }
        }

        const hangs = samples.filter((sample) => sample.status === 0);
        const during = samples.filter((s) => s.start >= killedAt && s.end <= restartStart);
        const unavailable = samples.filter((sample) => sample.status === 503);
        const afterRecovery = samples.filter((sample) => sample.start >= recoveredAt);
        const beforeKill = samples.filter((sample) => sample.end <= killStart);
        const afterRestart = samples.filter((sample) => sample.start >= restartedAt);
        const ok = (list: Sample[]) =>
          Object.fromEntries(
            (["login", "inc", "read", "logout"] as const).map((op) => [
              op,
              list.filter((s) => s.op === op && s.status === 200).length,
            ]),
          );
        const slowest = samples.reduce<Sample | undefined>(
          (worst, sample) =>
            worst === undefined || sample.end - sample.start > worst.end - worst.start
              ? sample
              : worst,
          undefined,
        );
        const ms = (value: number) => `${value.toFixed(0)} ms`;
        t.diagnostic(
          [
            `${samples.length} requests, ${unavailable.length} answered 503, ${during.length} of them while the server was down`,
            `slowest answer ${slowest ? `${slowest.op} ${slowest.status} in ${ms(slowest.end - slowest.start)}, sent ${ms(slowest.start - killStart)} after the kill began` : "none"}`,
            `kill ${ms(killedAt - killStart)}, restart ${ms(restartedAt - restartStart)}, every visitor served again ${ms(recoveredAt - restartedAt)} after it`,
          ].join("; "),
        );
        t.diagnostic(
          `2xx before the kill ${JSON.stringify(ok(beforeKill))}, after the restart ${JSON.stringify(
            ok(afterRestart),
          )}; final counters equal to the 2xx increments: ${exact}, increments stored despite a 503: ${storedDespite503}; "error" events for idle connections: ${opened.idleErrors?.() ?? "n/a"}`,
        );

        // (a) every request answered, in bounded time; a 503 while the server was down
        assert.deepEqual(
          hangs.map((s) => `${s.op}: ${s.error}`),
          [],
          "every request got an answer",
        );
        const slow = samples.filter((s) => s.end - s.start > MAX_ANSWER_MS);
        assert.deepEqual(
          slow.map((s) => `${s.op} ${s.status} after ${(s.end - s.start).toFixed(0)} ms`),
          [],
          `every answer within ${MAX_ANSWER_MS} ms`,
        );
        assert.ok(during.length >= VISITORS, `load while the server was down: ${during.length}`);
        assert.deepEqual(
          during.filter((s) => s.status !== 503).map((s) => `${s.op} ${s.status}`),
          [],
          "every request while the server was down was a 503",
        );
        // (b) nothing escaped
        assert.deepEqual(escaped, [], "no uncaught exception or unhandled rejection");
        assert.ok(served.httpServer.listening, "the app's server is still up");
        if (opened.idleErrors) {
          assert.ok(opened.idleErrors() > 0, "idle connections died, and the process lived on");
        }
        // (c) no 2xx for a change that was not stored
        assert.deepEqual(violations, []);
        // The load did store changes on both sides of the outage (every visitor began with a
        // login; logins after the restart are too few to count on, the one below is certain).
        const before = ok(beforeKill);
        assert.ok(
          (before.login ?? 0) > 0 && (before.inc ?? 0) > 0 && (before.read ?? 0) > 0,
          `2xx before the kill: ${JSON.stringify(before)}`,
        );
        const afterwards = ok(afterRestart);
        assert.ok(
          (afterwards.inc ?? 0) > 0 && (afterwards.read ?? 0) > 0,
          `2xx after the restart: ${JSON.stringify(afterwards)}`,
        );
        // A new visitor logs in, increments and logs out once the server is back.
        const login = await send(served.url, "POST", "/login?user=newcomer", undefined);
        assert.equal(login.status, 200, "a login once the server was back");
        assert.ok(login.cookie, "the login set the session cookie");
        const inc = await send(served.url, "POST", "/inc", login.cookie);
        assert.deepEqual([inc.status, JSON.parse(inc.body)], [200, { count: 1 }]);
        const logout = await send(served.url, "POST", "/logout", login.cookie);
        assert.deepEqual([logout.status, logout.cookie], [200, ""]);
        assert.equal((await send(served.url, "GET", "/count", login.cookie)).status, 401);
        // (d) served again without a restart of the app
        assert.deepEqual(
          visitors.filter((v) => v.servedAfterRestart === 0).map((v) => v.name),
          [],
          "every visitor was served after the restart",
        );
        assert.deepEqual(
          afterRecovery.filter((s) => s.status === 503).map((s) => s.op),
          [],
          "no 503 once PostgreSQL was back",
        );
      } finally {
        running = false;
        await Promise.all(loops);
        await served.close();
        await sessions.close();
        await opened.close().catch(() => undefined);
        if (!server.running) await server.restart();
        process.off("uncaughtException", onUncaught);
        process.off("unhandledRejection", onUnhandled);
      }
    });
  }
});
