/**
 * A Redis outage under load, through the node:http adapter: 30 browsers loop logins, reads,
 * writes and logouts (half of them only write and read after their first login, so that their
 * sessions are never in doubt) against a server whose sessions live in a private redis-server, while the
 * test SIGKILLs Redis, waits 2 s and starts it again on the same port, with its data. Once with
 * a node-redis client and once with ioredis. What must hold:
 *
 *   (a) while Redis is down, every request (each needs its session) is a quick 503 with the
 *       clear body and Retry-After;
 *   (b) every request completes (a client-side timeout would count as a hang);
 *   (c) nothing escapes: no uncaughtException, no unhandledRejection, the server lives on;
 *   (d) never a 2xx for a change that was not stored: Redis runs with an fsynced append-only
 *       file, so every acknowledged write, from before the kill or after the restart, must be
 *       what the next successful read shows (or a newer value whose request failed but reached
 *       Redis: a 503 promises nothing either way), and an acknowledged logout stays a logout;
 *   (e) once Redis is back every browser is served again, without restarting anything.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { after, before, describe, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import type { RedisClientLike } from "../../src/stores/redis/connection.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { type RedisServerProcess, startRedisServer } from "../support/redis-server.ts";

const BROWSERS = 30;
const REQUEST_TIMEOUT_MS = 5_000;
const LOAD_BEFORE_KILL_MS = 1_200;
const OUTAGE_MS = 2_000;
const RECOVERY_DEADLINE_MS = 8_000;
const STEADY_AFTER_RECOVERY_MS = 800;
/**
 * The store's (and the engine's) default timeout is 1 s, so a 503 comes after about 1 s; on a
 * machine whose cores are busy the answer can take a while longer to be written and read. Well
 * under REQUEST_TIMEOUT_MS, which is what "hung" means here.
 */
const MAX_503_MS = 4_000;
const BODY_503 =
  "503 Service Unavailable: the session store is not answering; try again shortly.\n";

interface Shape {
  username: string;
  n: number;
}

type Op = "login" | "write" | "read" | "logout";

interface Sample {
  readonly op: Op;
  readonly start: number;
  readonly end: number;
  /** 0 when the request failed on the client side (timeout, reset). */
  readonly status: number;
  readonly error?: string;
}

/** The app under test: every route needs its session; every change carries a unique `n`. */
function app(sessions: ReturnType<typeof createSessions<Shape>>) {
  return withSessions(sessions, async (req, res, { session }) => {
    const url = new URL(req.url ?? "/", "http://app");
    const n = Number(url.searchParams.get("n"));
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const current = await session();
    switch (`${req.method} ${url.pathname}`) {
      case "POST /login":
        current.regenerate();
        current.set("username", url.searchParams.get("user") ?? "");
        current.set("n", n);
        return json(200, { n });
      case "POST /write":
        if (current.get("username") === undefined) return json(401, {});
        current.set("n", n);
        return json(200, { n });
      case "GET /read": {
        const username = current.get("username");
        if (username === undefined) return json(401, {});
        return json(200, { username, n: current.get("n") });
      }
      case "POST /logout":
        current.destroy();
        return json(200, {});
      default:
        return json(404, {});
    }
  });
}

/**
 * One browser: a session cookie, and what it may expect of it. `floor` is the newest value it
 * knows is stored (acknowledged, or seen by a read); `ceiling` the newest it ever sent. A read
 * must show a value between the two. `mayBeGone` is set when a login (regenerate) or logout got
 * no 2xx: whether it reached Redis is unknown, so a 401 is then possible.
 */
class Browser {
  readonly name: string;
  /**
   * A churning browser also logs in again (regenerate) and out. One that does not only writes
   * and reads after its first login, so its session can never be in doubt: any 401 it gets,
   * or any value older than its last acknowledged write, is a lost acknowledged change.
   */
  readonly churns: boolean;
  cookie: string | undefined;
  counter = 0;
  floor = 0;
  ceiling = 0;
  mayBeGone = false;
  /** Cookies whose logout was acknowledged: they must stay dead. */
  readonly loggedOut: string[] = [];
  readonly violations: string[];

  constructor(name: string, churns: boolean, violations: string[]) {
    this.name = name;
    this.churns = churns;
    this.violations = violations;
  }
}

interface Answer {
  status: number;
  body: string;
  retryAfter: string | null;
  setCookies: string[];
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
  return {
    status: response.status,
    body: await response.text(),
    retryAfter: response.headers.get("retry-after"),
    setCookies: response.headers.getSetCookie(),
  };
}

/** The session cookie a response sets: a value, "" when it clears it, undefined when untouched. */
function sessionCookieOf(answer: Answer): string | undefined {
  for (const header of answer.setCookies) {
    const match = /^session=([^;]*)/.exec(header);
    if (match) return /max-age=0/i.test(header) ? "" : (match[1] ?? "");
  }
  return undefined;
}

/** Runs one request of `browser`'s loop and checks its answer against what the browser knows. */
async function step(base: string, browser: Browser, samples: Sample[]): Promise<void> {
  let op: Op;
  const dice = Math.random();
  if (browser.cookie === undefined) op = "login";
  else if (!browser.churns) op = dice < 0.55 ? "write" : "read";
  else if (dice < 0.35) op = "write";
  else if (dice < 0.65) op = "read";
  else if (dice < 0.9) op = "login";
  else op = "logout";
  const n = ++browser.counter;
  const path =
    op === "login"
      ? `/login?user=${browser.name}&n=${n}`
      : op === "write"
        ? `/write?n=${n}`
        : op === "read"
          ? "/read"
          : "/logout";
  const start = performance.now();
  let answer: Answer;
  try {
    answer = await send(base, op === "read" ? "GET" : "POST", path, browser.cookie);
  } catch (error) {
    samples.push({ op, start, end: performance.now(), status: 0, error: String(error) });
    return;
  }
  samples.push({ op, start, end: performance.now(), status: answer.status });
  const fail = (what: string): void => {
    browser.violations.push(`${browser.name} ${op} ${path}: ${what}`);
  };
  const set = sessionCookieOf(answer);

  if (answer.status === 503) {
    if (answer.body !== BODY_503) fail(`503 body ${JSON.stringify(answer.body)}`);
    if (answer.retryAfter !== "1") fail(`503 without Retry-After: 1`);
    if (set !== undefined) fail("a 503 set the session cookie");
    // What a failed change did is unknown: it may have been stored.
    if (op === "write" || op === "login") browser.ceiling = n;
    if (op === "login" || op === "logout") browser.mayBeGone = true;
    return;
  }
  if (answer.status !== 200 && answer.status !== 401) {
    fail(`unexpected ${answer.status} ${answer.body}`);
    return;
  }
  if (answer.status === 401) {
    // Only a login or logout that may have gone through can have ended the session.
    if (!browser.mayBeGone) fail(`401 for a session whose changes were all acknowledged`);
    browser.cookie = undefined;
    return;
  }
  switch (op) {
    case "login":
      if (!set) {
        fail("a 200 login without a session cookie");
        return;
      }
      browser.cookie = set;
      browser.floor = n;
      browser.ceiling = n;
      browser.mayBeGone = false;
      return;
    case "write":
      if (set === "") {
        // The engine found the record gone when writing (ended meanwhile): not stored, and
        // the response says so by clearing the cookie.
        if (!browser.mayBeGone) fail("a write found its acknowledged session gone");
        browser.cookie = undefined;
        return;
      }
      browser.floor = n;
      browser.ceiling = n;
      return;
    case "read": {
      const { n: seen } = JSON.parse(answer.body) as { n: number };
      if (seen < browser.floor || seen > browser.ceiling) {
        fail(`read n=${seen}, expected ${browser.floor}..${browser.ceiling}`);
      }
      browser.floor = Math.max(browser.floor, seen);
      return;
    }
    case "logout":
      if (set !== "") fail("a 200 logout did not clear the cookie");
      if (browser.cookie !== undefined) browser.loggedOut.push(browser.cookie);
      browser.cookie = undefined;
      browser.mayBeGone = false;
      return;
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
    });
  });
}

function maxOf(values: number[]): number {
  return values.reduce((max, value) => Math.max(max, value), 0);
}

describe("a Redis outage under load, through the node:http adapter", () => {
  let redis: RedisServerProcess;
  const escaped: string[] = [];
  const onUncaught = (error: unknown): void => {
    escaped.push(`uncaughtException: ${String(error)}`);
  };
  const onUnhandled = (error: unknown): void => {
    escaped.push(`unhandledRejection: ${String(error)}`);
  };

  before(async () => {
    process.on("uncaughtException", onUncaught);
    process.on("unhandledRejection", onUnhandled);
    // Every write is in the append-only file before Redis replies, and restart() keeps the
    // dir and these arguments: what was acknowledged before the kill is there after it.
    redis = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
  });
  after(async () => {
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onUnhandled);
    await redis?.stop();
  });

  const libraries: [string, () => Promise<{ client: RedisClientLike; close(): void }>][] = [
    [
      "node-redis",
      async () => {
        const client = await createClient({ url: redis.url }).connect();
        return { client, close: () => client.destroy() };
      },
    ],
    [
      "ioredis",
      async () => {
        // As README recommends for session stores: without this, ioredis re-sends the commands
        // that were in flight at the kill once it reconnects, so a logout that answered 503 can
        // take effect seconds later, in the middle of the browser's next login.
        const client = new Redis(redis.url, {
          lazyConnect: true,
          autoResendUnfulfilledCommands: false,
        });
        await client.connect();
        return { client, close: () => client.disconnect() };
      },
    ],
  ];

  for (const [library, connect] of libraries) {
    test(`${BROWSERS} browsers, Redis SIGKILLed for ${OUTAGE_MS / 1000} s and restarted (${library})`, async (t: TestContext) => {
      const { client, close } = await connect();
      const prefix = `outage-${library}-${randomBytes(4).toString("hex")}:`;
      const sessions = createSessions<Shape>({
        secret: randomBytes(32).toString("base64url"),
        store: redisStore({ client, prefix, userKey: "username" }),
      });
      const server = createServer(app(sessions));
      const base = await listen(server);
      const violations: string[] = [];
      const browsers = Array.from(
        { length: BROWSERS },
        (_, index) => new Browser(`user${index}`, index % 2 === 1, violations),
      );
      const samples: Sample[] = [];
      let running = true;
      let restartedAt = Number.POSITIVE_INFINITY;
      const servedAfterRestart = new Set<Browser>();

      const loops = browsers.map(async (browser) => {
        while (running) {
          const before = samples.length;
          await step(base, browser, samples);
          const sample = samples[before];
          if (sample && sample.start >= restartedAt && sample.status === 200) {
            servedAfterRestart.add(browser);
          }
          await sleep(5 + Math.random() * 10);
        }
      });

      try {
        await sleep(LOAD_BEFORE_KILL_MS);
        const killStart = performance.now();
        await redis.kill("SIGKILL");
        const killedAt = performance.now();
        await sleep(OUTAGE_MS);
        const restartStart = performance.now();
        await redis.restart();
        restartedAt = performance.now();

        const deadline = restartedAt + RECOVERY_DEADLINE_MS;
        while (servedAfterRestart.size < BROWSERS && performance.now() < deadline) {
          await sleep(50);
        }
        const recoveredAt = performance.now();
        await sleep(STEADY_AFTER_RECOVERY_MS);
        running = false;
        await Promise.all(loops);

        // After the load: every browser's session is what it was told, and logouts held.
        for (const browser of browsers) {
          if (browser.cookie !== undefined) {
            const answer = await send(base, "GET", "/read", browser.cookie);
            if (answer.status === 200) {
              const { n } = JSON.parse(answer.body) as { n: number };
              if (n < browser.floor || n > browser.ceiling) {
                violations.push(
                  `${browser.name} final read n=${n}, expected ${browser.floor}..${browser.ceiling}`,
                );
              }
            } else if (!(answer.status === 401 && browser.mayBeGone)) {
              violations.push(`${browser.name} final read ${answer.status}`);
            }
          }
          for (const cookie of browser.loggedOut) {
            const answer = await send(base, "GET", "/read", cookie);
            if (answer.status !== 401) {
              violations.push(`${browser.name}: a logged-out cookie answered ${answer.status}`);
            }
          }
        }

        const hangs = samples.filter((sample) => sample.status === 0);
        const during = samples.filter((s) => s.start >= killedAt && s.end <= restartStart);
        const unavailable = samples.filter((sample) => sample.status === 503);
        const latency503 = unavailable.map((sample) => sample.end - sample.start);
        const max503 = maxOf(latency503);
        const maxDuring = maxOf(during.map((sample) => sample.end - sample.start));
        const maxAll = maxOf(samples.map((sample) => sample.end - sample.start));
        const afterRecovery = samples.filter((sample) => sample.start >= recoveredAt);
        const byOp = (list: Sample[], status: number) =>
          Object.fromEntries(
            (["login", "write", "read", "logout"] as const).map((op) => [
              op,
              list.filter((s) => s.op === op && s.status === status).length,
            ]),
          );
        const beforeKill = samples.filter((sample) => sample.end <= killStart);
        const afterRestart = samples.filter((sample) => sample.start >= restartedAt);

        t.diagnostic(
          `${samples.length} requests; 503s: ${unavailable.length}, max ${max503.toFixed(0)} ms, ` +
            `p99 ${percentile(latency503, 0.99).toFixed(0)} ms, ${latency503.filter((ms) => ms > 500).length} over 500 ms; during the outage: ${during.length} requests, ` +
            `max ${maxDuring.toFixed(0)} ms; max of all: ${maxAll.toFixed(0)} ms; ` +
            `all served again ${(recoveredAt - restartedAt).toFixed(0)} ms after the restart ` +
            `(restart took ${(restartedAt - restartStart).toFixed(0)} ms)`,
        );
        t.diagnostic(
          `2xx before the kill ${JSON.stringify(byOp(beforeKill, 200))}; after the restart ${JSON.stringify(byOp(afterRestart, 200))}`,
        );

        // (b) nothing hung, (c) nothing escaped
        assert.deepEqual(
          hangs.map((s) => `${s.op}: ${s.error}`),
          [],
          "every request completed",
        );
        assert.deepEqual(escaped, [], "no uncaught exception or unhandled rejection");
        assert.ok(server.listening, "the server is still up");
        // (a) the outage is 503s, quickly
        assert.ok(during.length > 100, `load during the outage: ${during.length} requests`);
        assert.deepEqual(
          during.filter((s) => s.status !== 503).map((s) => `${s.op} ${s.status}`),
          [],
          "every request while Redis was down was a 503",
        );
        assert.ok(max503 < MAX_503_MS, `slowest 503: ${max503.toFixed(0)} ms`);
        // (d) no 2xx for a change that was not stored; answers as the browser was told
        assert.deepEqual(violations, []);
        // the test did exercise stored changes on both sides of the outage
        for (const [when, list] of [
          ["before the kill", beforeKill],
          ["after the restart", afterRestart],
        ] as const) {
          const ok = byOp(list, 200);
          assert.ok(
            (ok.login ?? 0) > 0 && (ok.write ?? 0) > 0 && (ok.read ?? 0) > 0,
            `2xx ${when}: ${JSON.stringify(ok)}`,
          );
        }
        // (e) every browser is served again, and keeps being served
        assert.equal(
          servedAfterRestart.size,
          BROWSERS,
          "every browser was served after the restart",
        );
        assert.deepEqual(
          afterRecovery.filter((s) => s.status === 503).map((s) => s.op),
          [],
          "no 503 once Redis was back",
        );
      } finally {
        running = false;
        await Promise.all(loops);
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await sessions.close();
        close();
        if (!redis.running) await redis.restart();
      }
    });
  }
});

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}
