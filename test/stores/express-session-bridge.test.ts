/**
 * The express-session bridge (`tessera/express-session-store`) on real stores and servers: the
 * conformance suite through connect-redis (node-redis), connect-pg-simple (pg), express-session's
 * MemoryStore and two hand-written stores (callback style without all(), promise style); the
 * API shapes and misbehaviours stores show (answering twice, promise plus callback, throwing,
 * never answering, failing, going down); the record it leaves; what it declares it cannot do;
 * and real HTTP through tessera's node:http adapter: login, read, logout, 503 on a silent store,
 * and concurrent writes of distinct keys, of which some are lost (only "some landed" is
 * asserted: bench/bridge-lost-writes.ts measures how many).
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import connectPgSimple from "connect-pg-simple";
import { RedisStore } from "connect-redis";
import session from "express-session";
import pg from "pg";
import { createClient } from "redis";
import { measureLostWrites } from "../../bench/lost-writes.ts";
import { withSessions } from "../../src/adapters/node.ts";
import { errorResponse } from "../../src/engine/error-response.ts";
import { createSessions } from "../../src/engine/manager.ts";
import {
  ConfigError,
  SessionValueError,
  StoreUnavailableError,
  TesseraError,
} from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import {
  type ExpressSessionStoreLike,
  fromExpressSessionStore,
} from "../../src/stores/express-session/index.ts";
import { recordOf } from "../../src/stores/express-session/record.ts";
import { CookieClient } from "../support/client.ts";
import { connectPgForRun, connectRedisForRun } from "../support/connect-stores.ts";
import {
  CallbackStore,
  ListingCallbackStore,
  PromiseStore,
} from "../support/express-session-style-stores.ts";
import { newId, setPatch } from "../support/patches.ts";
import { freePort, redisCommand, startRedisServer } from "../support/redis-server.ts";

const MINUTE = 60_000;
const SECRET = "an express-session bridge test secret, 32+ bytes";

const redis = await connectRedisForRun();
const postgres = await connectPgForRun();
after(async () => {
  await Promise.all([redis.close(), postgres.close()]);
});

// --- conformance ------------------------------------------------------------------------------

// Every one of these stores expires records itself (or the bridge reads cookie.expires), so the
// purge count is not checked; each bridge declares atomicPatch: false, and the stores without
// all() listing: false, so the suite skips exactly those tests, saying so.
const STORES: [string, () => ExpressSessionStoreLike][] = [
  ["connect-redis", () => redis.make()],
  ["connect-pg-simple", () => postgres.make()],
  ["express-session MemoryStore", () => new session.MemoryStore()],
  ["a hand-written callback store without all()", () => new CallbackStore()],
  ["a hand-written promise-only store", () => new PromiseStore()],
];
for (const [name, make] of STORES) {
  runStoreConformance(`express-session bridge on ${name}`, () => fromExpressSessionStore(make()), {
    selfExpiring: true,
  });
}

// --- helpers ----------------------------------------------------------------------------------

/** The run's Redis, for raw commands. */
function redisAddress(): { host: string; port: number } {
  const url = new URL(redis.url);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** A record as the bridge writes it, for stores that hand it back. */
function liveRecord(data: Record<string, unknown> = { user: "ada" }): Record<string, unknown> {
  const now = Date.now();
  return recordOf(
    new Map(Object.entries(data)),
    { createdAt: now - MINUTE, expiresAt: now + 10 * MINUTE },
    now,
  );
}

const WRITE = { createdAt: Date.now(), expiresAt: Date.now() + 10 * MINUTE, mustExist: false };

/** Fails the test if anything escapes to the process while it runs (and a little after). */
function watchProcess(t: TestContext): () => Promise<void> {
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);
  process.on("unhandledRejection", onEscape);
  process.on("uncaughtException", onEscape);
  t.after(() => {
    process.off("unhandledRejection", onEscape);
    process.off("uncaughtException", onEscape);
  });
  return async () => {
    await sleep(30);
    assert.deepEqual(escaped, [], "nothing escapes as an unhandled rejection or exception");
  };
}

/** Asserts a StoreUnavailableError (a 503) that names the store and what went wrong. */
async function rejectsUnavailable(call: Promise<unknown>, ...mentions: string[]): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError, `a StoreUnavailableError: ${String(error)}`);
    assert.equal(errorResponse(error).status, 503);
    for (const mention of mentions) assert.match(error.message, new RegExp(mention));
    return true;
  });
}

// --- API styles and misbehaving stores --------------------------------------------------------

describe("express-session bridge: API styles and misbehaving stores", () => {
  test("a store that calls back twice: only the first answer counts, and nothing crashes", async (t) => {
    const settled = watchProcess(t);
    const record = liveRecord();
    const twice = {
      get(_sid: string, callback: (error?: unknown, value?: unknown) => void) {
        callback(null, record);
        callback(new Error("a second answer"));
        callback(null, null);
      },
      set(_sid: string, _session: object, callback: (error?: unknown) => void) {
        callback();
        callback(new Error("a second answer"));
      },
      destroy(_sid: string, callback: (error?: unknown) => void) {
        setImmediate(() => {
          callback();
          callback();
        });
      },
    };
    const store = fromExpressSessionStore(twice);
    assert.deepEqual((await store.get(newId()))?.data, { user: "ada" });
    assert.equal(await store.apply(newId(), setPatch({ a: 1 }), WRITE), true);
    await store.destroy(newId());

    const failingFirst = fromExpressSessionStore({
      ...twice,
      get(_sid: string, callback: (error?: unknown, value?: unknown) => void) {
        callback(new Error("connection reset"));
        callback(null, record);
      },
    });
    await rejectsUnavailable(failingFirst.get(newId()), "connection reset");
    await settled();
  });

  test("async methods that also take a callback (connect-redis's style): the callback answers", async (t) => {
    const settled = watchProcess(t);
    const record = liveRecord();
    const store = fromExpressSessionStore({
      // Answers, then its promise rejects: the rejection is handled and ignored.
      async get(_sid: string, callback: (error?: unknown, value?: unknown) => void) {
        callback(null, record);
        throw new Error("after the answer");
      },
      // Its promise resolves at once, the answer comes later (an async wrapper of a callback
      // API): the write is not taken as done before it is.
      async set(_sid: string, _session: object, callback: (error?: unknown) => void) {
        setTimeout(() => callback(new Error("the write failed")), 20);
      },
      // Its promise resolves with something else than the callback's answer.
      destroy(_sid: string, callback: (error?: unknown) => void) {
        callback();
        return Promise.reject(new Error("ignored: the callback answered first"));
      },
    });
    assert.deepEqual((await store.get(newId()))?.data, { user: "ada" });
    await rejectsUnavailable(store.apply(newId(), setPatch({ a: 1 }), WRITE), "the write failed");
    await store.destroy(newId());
    await settled();
  });

  test("a promise-only store: its promise answers, and a rejection (even with no reason) is a 503", async (t) => {
    const settled = watchProcess(t);
    const store = fromExpressSessionStore({
      get: async (_sid: string) => liveRecord({ n: 1 }),
      set: async () => Promise.reject(new Error("READONLY You can't write against a replica")),
      destroy: () => Promise.reject(undefined),
    });
    assert.deepEqual((await store.get(newId()))?.data, { n: 1 });
    await rejectsUnavailable(store.apply(newId(), setPatch({ a: 1 }), WRITE), "READONLY");
    await rejectsUnavailable(store.destroy(newId()), "rejected its promise with undefined");
    await settled();
  });

  test("a store that throws synchronously: a 503 naming the store and the error, never a crash", async (t) => {
    const settled = watchProcess(t);
    class ThrowingStore {
      get(): never {
        throw new TypeError("Cannot read properties of undefined (reading 'query')");
      }
      set(_sid: string, _session: object, callback: (error?: unknown) => void): never {
        callback(); // answered first: the throw after it changes nothing
        throw new Error("thrown after answering");
      }
      destroy(): never {
        throw "a thrown string";
      }
    }
    const store = fromExpressSessionStore(new ThrowingStore());
    // A TypeError from the store is the store's failure (503), not the application's value.
    await rejectsUnavailable(store.get(newId()), "ThrowingStore", "reading 'query'");
    await rejectsUnavailable(store.destroy(newId()), "a thrown string");
    await rejectsUnavailable(store.apply(newId(), setPatch({ a: 1 }), WRITE), "reading 'query'");
    const answersThenThrows = fromExpressSessionStore({
      get: (_sid: string, callback: (error?: unknown, value?: unknown) => void) => callback(null),
      set: new ThrowingStore().set,
      destroy: new ThrowingStore().destroy,
    });
    assert.equal(await answersThenThrows.apply(newId(), setPatch({ a: 1 }), WRITE), true);
    await settled();
  });

  test("a store that never answers: every operation is a 503 once the timeout passes", async (t) => {
    const settled = watchProcess(t);
    let late: (() => void) | undefined;
    const silent = {
      get(_sid: string, callback: (error?: unknown, value?: unknown) => void) {
        late = () => callback(null, liveRecord());
      },
      set() {},
      destroy() {},
      all() {},
    };
    const store = fromExpressSessionStore(silent, { timeout: "150ms" });
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => store.get(newId())],
      ["apply", () => store.apply(newId(), setPatch({ a: 1 }), WRITE)],
      ["touch", () => store.touch(newId(), Date.now() + MINUTE)],
      ["destroy", () => store.destroy(newId())],
      ["rename", () => store.rename(newId(), newId(), setRename())],
      ["list", async () => (await store.list()[Symbol.asyncIterator]().next()).value],
    ];
    for (const [operation, call] of calls) {
      const started = performance.now();
      await rejectsUnavailable(call(), `did not answer ${operation} within 150 ms`, "timeout");
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 140 && elapsed < 1_500, `${operation} gave up after ${elapsed} ms`);
    }
    late?.(); // an answer after the deadline is ignored
    await settled();
  });

  test("an error passed to the callback is a 503 with the store's message; ENOENT from get is no session", async () => {
    const store = fromExpressSessionStore({
      get(sid: string, callback: (error?: unknown) => void) {
        const error = Object.assign(new Error(`ENOENT: no such file, open '${sid}.json'`), {
          code: sid === "missing" ? "ENOENT" : "EACCES",
        });
        setImmediate(() => callback(error));
      },
      set: (_sid: string, _session: object, callback: (error?: unknown) => void) =>
        callback(new Error("ECONNREFUSED 127.0.0.1:27017")),
      destroy: (_sid: string, callback: (error?: unknown) => void) => callback({ reason: "busy" }),
    });
    // express-session reads ENOENT from get as "no session" (file stores), and so does the bridge.
    assert.equal(await store.get("missing"), undefined);
    await rejectsUnavailable(store.get("other"), "failed during get", "EACCES|ENOENT");
    await rejectsUnavailable(store.destroy(newId()), '\\{"reason":"busy"\\}');
  });
});

function setRename() {
  return { patch: setPatch({}), expiresAt: Date.now() + MINUTE };
}

// --- values and records -----------------------------------------------------------------------

describe("express-session bridge: values and records", () => {
  test("a value that cannot be stored is a SessionValueError naming the key, and nothing is written", async () => {
    const backing = new CallbackStore();
    const store = fromExpressSessionStore(backing);
    const id = newId();
    await store.apply(id, setPatch({ user: "ada" }), WRITE);
    const before = backing.records.get(id);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const [key, bad] of [
      ["visits", 10n],
      ["loop", circular],
    ] as const) {
      await assert.rejects(
        store.apply(id, setPatch({ fine: 1, [key]: bad }), { ...WRITE, mustExist: true }),
        (error: unknown) => {
          assert.ok(error instanceof SessionValueError, String(error));
          assert.match(error.message, new RegExp(`"${key}"`));
          return true;
        },
      );
      assert.equal(backing.records.get(id), before, "the record is as it was");
    }
  });

  test("the record is express-session's: data on top, cookie.expires, createdAt under __tessera", async () => {
    const connectRedis = redis.make();
    const store = fromExpressSessionStore(connectRedis);
    const id = newId();
    const createdAt = Date.now() - 5 * MINUTE;
    const expiresAt = Date.now() + 30 * MINUTE;
    // Keys named like the record's own are kept aside, and round-trip.
    const data = { user: "ada", cookie: "chocolate", __tessera: [1], cart: [1, 2] };
    await store.apply(id, setPatch(data), { createdAt, expiresAt, mustExist: false });

    const address = redisAddress();
    const raw = JSON.parse(String(await redisCommand(address, "GET", `${redis.prefix}${id}`)));
    assert.deepEqual(raw, {
      user: "ada",
      cart: [1, 2],
      cookie: {
        originalMaxAge: raw.cookie.originalMaxAge,
        expires: new Date(expiresAt).toISOString(),
        httpOnly: true,
        path: "/",
      },
      __tessera: { createdAt, shadowed: { cookie: "chocolate", __tessera: [1] } },
    });
    assert.ok(Math.abs(raw.cookie.originalMaxAge - 30 * MINUTE) < 5_000);
    // connect-redis made its TTL from cookie.expires, in whole seconds.
    const ttl = Number(await redisCommand(address, "TTL", `${redis.prefix}${id}`));
    assert.ok(Math.abs(ttl - 30 * 60) <= 2, `TTL ${ttl} s`);
    assert.deepEqual(await store.get(id), { data, createdAt, expiresAt });

    // express-session's own reading of the record: its Store.createSession builds the session.
    const loaded = await connectRedis.get(id);
    const seen = connectRedis.createSession({ sessionID: id } as never, loaded);
    assert.equal(seen.cookie.expires?.getTime(), expiresAt);
    assert.equal((seen as unknown as { user: string }).user, "ada");
  });

  test("a record whose cookie.expires has passed reads as no session, though the store still holds it", async () => {
    const backing = new CallbackStore();
    const store = fromExpressSessionStore(backing);
    const id = newId();
    await store.apply(id, setPatch({ a: 1 }), { ...WRITE, expiresAt: Date.now() + 100 });
    assert.deepEqual((await store.get(id))?.data, { a: 1 });
    await sleep(120);
    assert.equal(backing.records.has(id), true, "this store keeps records until deleted");
    assert.equal(await store.get(id), undefined);
    assert.equal(await store.apply(id, setPatch({ b: 2 }), { ...WRITE, mustExist: true }), false);
  });

  test("a record the bridge did not write (express-session's own, no bookkeeping) reads as no session", async () => {
    const backing = new CallbackStore();
    const id = newId();
    backing.write(id, {
      cookie: { originalMaxAge: MINUTE, expires: new Date(Date.now() + MINUTE).toISOString() },
      passport: { user: 1 },
    });
    backing.write("garbage", ["not", "a", "session"] as unknown as object);
    const store = fromExpressSessionStore(backing);
    assert.equal(await store.get(id), undefined);
    assert.equal(await store.get("garbage"), undefined);
  });
});

// --- what the bridge declares -----------------------------------------------------------------

describe("express-session bridge: what it declares it cannot do", () => {
  test("no atomic patch, no atomic rename, no user index; listing only where the store has all()", () => {
    for (const [backing, listing] of [
      [redis.make(), true],
      [new session.MemoryStore(), true],
      [postgres.make(), false],
      [new CallbackStore(), false],
      [new ListingCallbackStore(), true],
    ] as const) {
      assert.deepEqual(fromExpressSessionStore(backing).capabilities, {
        atomicPatch: false,
        atomicRename: false,
        listing,
        userIndex: false,
      });
    }
  });

  test("list on a store without all() rejects with TESSERA_UNSUPPORTED and says what to do", async () => {
    const store = fromExpressSessionStore(postgres.make());
    await assert.rejects(
      async () => {
        for await (const _ of store.list()) break;
      },
      (error: unknown) => {
        assert.ok(error instanceof TesseraError);
        assert.equal(error.code, "TESSERA_UNSUPPORTED");
        assert.match(error.message, /PGStore has no all\(\) method/);
        assert.match(error.message, /connect-redis|tessera\/redis/);
        return true;
      },
    );
  });

  test("purgeExpired resolves 0: the store expires its records itself", async () => {
    assert.equal(await fromExpressSessionStore(new session.MemoryStore()).purgeExpired(), 0);
  });

  test("what is not an express-session store, or a timeout that is not positive, is a ConfigError", () => {
    for (const bad of [undefined, null, "redis://localhost", {}, { get() {}, set() {} }]) {
      assert.throws(
        () => fromExpressSessionStore(bad as unknown as ExpressSessionStoreLike),
        (error: unknown) =>
          error instanceof ConfigError && /get, set and destroy methods/.test(error.message),
      );
    }
    assert.throws(
      () => fromExpressSessionStore({ get() {}, set() {} } as never),
      /no destroy method/,
    );
    assert.throws(
      () => fromExpressSessionStore(new CallbackStore(), { timeout: "0s" }),
      (error: unknown) =>
        error instanceof ConfigError && /timeout must be positive/.test(error.message),
    );
  });
});

// --- outages on real servers ------------------------------------------------------------------

describe("express-session bridge: the servers behind the stores fail", () => {
  test("connect-redis on a closed client: a 503 with node-redis's reason", async () => {
    const client = await createClient({ url: redis.url }).connect();
    await client.quit();
    const store = fromExpressSessionStore(new RedisStore({ client, prefix: redis.prefix }));
    await rejectsUnavailable(store.get(newId()), "RedisStore", "closed");
    await rejectsUnavailable(store.apply(newId(), setPatch({ a: 1 }), WRITE), "closed");
  });

  test("connect-redis while its Redis is down: a 503 within the timeout, and served again once it is back", async (t) => {
    const settled = watchProcess(t);
    const server = await startRedisServer();
    t.after(() => server.stop());
    const client = createClient({ url: server.url, socket: { reconnectStrategy: 50 } });
    client.on("error", () => {}); // reported by the 503s; unheard, it would kill the process
    await client.connect();
    // Closed at once (QUIT would wait for a reply from a server the test may have killed).
    t.after(() => client.destroy());
    const store = fromExpressSessionStore(new RedisStore({ client }), { timeout: "300ms" });
    const id = newId();
    await store.apply(id, setPatch({ user: "ada" }), WRITE);

    await server.kill();
    const started = performance.now();
    await rejectsUnavailable(store.get(id), "RedisStore");
    assert.ok(performance.now() - started < 2_000, "quick, not hung");

    await server.restart(); // no persistence: the session is gone, the store works again
    for (let attempt = 0; !client.isReady && attempt < 100; attempt += 1) await sleep(20);
    assert.equal(await store.get(id), undefined);
    assert.equal(await store.apply(id, setPatch({ user: "bob" }), WRITE), true);
    assert.deepEqual((await store.get(id))?.data, { user: "bob" });
    await settled();
  });

  test("connect-pg-simple when PostgreSQL refuses connections: a 503 with pg's reason", async () => {
    const pool = new pg.Pool({
      connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/test`,
    });
    pool.on("error", () => {});
    const PGStore = connectPgSimple(session);
    const store = fromExpressSessionStore(
      new PGStore({ pool, createTableIfMissing: true, pruneSessionInterval: false }),
    );
    try {
      await rejectsUnavailable(store.get(newId()), "PGStore", "ECONNREFUSED");
    } finally {
      await pool.end();
    }
  });
});

// --- real HTTP --------------------------------------------------------------------------------

/** Serves a small login app on `store` through tessera's node:http adapter. */
async function serveLoginApp(
  store: SessionStore,
): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = createSessions<{ username: string }>({ secret: SECRET, store });
  const server = createServer(
    withSessions(sessions, async (req, res, { session: load }) => {
      const s = await load();
      if (req.method === "POST" && req.url === "/login") {
        s.regenerate();
        s.set("username", "ada");
        res.writeHead(303, { Location: "/" }).end();
      } else if (req.method === "POST" && req.url === "/logout") {
        s.destroy();
        res.writeHead(303, { Location: "/" }).end();
      } else {
        const name = s.get("username");
        res.end(name ? `Hello, ${name}` : "Not logged in");
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sessions.close();
    },
  };
}

describe("express-session bridge: real HTTP through tessera's node:http adapter", () => {
  test("login, read and logout, with sessions in connect-redis", async () => {
    const { prefix } = redis;
    const address = redisAddress();
    const keys = async () =>
      ((await redisCommand(address, "KEYS", `${prefix}*`)) as string[]).filter((key) =>
        key.startsWith(prefix),
      );
    const before = new Set(await keys());
    const app = await serveLoginApp(fromExpressSessionStore(redis.make()));
    try {
      const browser = new CookieClient(app.url);
      assert.equal((await browser.get("/")).text, "Not logged in");
      const login = await browser.post("/login");
      assert.equal(login.status, 303);
      assert.equal(login.setCookies.length, 1);
      const added = (await keys()).filter((key) => !before.has(key));
      assert.equal(added.length, 1, "one record for the one session");
      assert.equal((await browser.get("/")).text, "Hello, ada");
      // Signing in again regenerates a loaded session: rename, the old record removed.
      const firstCookie = [...browser.jar.values()][0];
      assert.equal((await browser.post("/login")).status, 303);
      assert.notEqual([...browser.jar.values()][0], firstCookie, "a new id");
      assert.equal((await keys()).filter((key) => !before.has(key)).length, 1, "the old one gone");
      assert.equal((await browser.get("/")).text, "Hello, ada");

      const logout = await browser.post("/logout");
      assert.equal(logout.status, 303);
      assert.equal((await browser.get("/")).text, "Not logged in");
      assert.deepEqual(
        (await keys()).filter((key) => !before.has(key)),
        [],
        "logout deleted the record",
      );
    } finally {
      await app.close();
    }
  });

  test("a store that never answers: the request is a 503 after the timeout, not a hang", async () => {
    const silent = { get() {}, set() {}, destroy() {} };
    const app = await serveLoginApp(fromExpressSessionStore(silent, { timeout: "200ms" }));
    try {
      const started = performance.now();
      const response = await new CookieClient(app.url).post("/login");
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "1");
      assert.ok(performance.now() - started < 3_000);
    } finally {
      await app.close();
    }
  });

  for (const [name, make] of [
    ["connect-redis", () => redis.make()],
    ["connect-pg-simple", () => postgres.make()],
  ] as const) {
    test(`50 concurrent requests setting distinct keys through ${name}: all answered, at least 1 landed`, async (t) => {
      const result = await measureLostWrites(fromExpressSessionStore(make()), 50);
      t.diagnostic(`${result.landed} of ${result.requests} keys kept (this run)`);
      assert.equal(result.acknowledged, 50, "every request answered 2xx");
      assert.ok(result.landed >= 1, `${result.landed} of 50 landed`);
    });
  }
});
