/**
 * The Redis store against real redis-server processes: the conformance suite through node-redis
 * 6, node-redis 5 and ioredis; the inspectable layout; one command per operation (watched with
 * MONITOR); the per-user index; corrupt records; and outages on a private server.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  connect as connectSocket,
  createServer as createNetServer,
  type Server,
  type Socket,
} from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { createClient as createClientV5 } from "redis-v5";
import { ArgumentError, ConfigError, StoreUnavailableError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { RedisClientLike } from "../../src/stores/redis/connection.ts";
import { type RedisStore, redisStore } from "../../src/stores/redis/index.ts";
import { newId, setPatch, uniquePrefix } from "../support/patches.ts";
import {
  deleteKeysUnder as deleteKeysUnderAt,
  ensureRedis,
  type RedisServerProcess,
  redisCommand,
  startRedisServer,
} from "../support/redis-server.ts";

const url = await ensureRedis();
const address = { host: new URL(url).hostname, port: Number(new URL(url).port || 6379) };
const MINUTE = 60_000;

function deleteKeysUnder(prefix: string): Promise<void> {
  return deleteKeysUnderAt(address, prefix);
}

const nodeRedis6 = await createClient({ url }).connect();
const nodeRedis5 = await createClientV5({ url }).connect();
const ioredis = new Redis(url, { lazyConnect: true });
await ioredis.connect();
after(async () => {
  await Promise.all([nodeRedis6.quit(), nodeRedis5.quit(), ioredis.quit()]);
});

const CLIENTS: [string, RedisClientLike][] = [
  ["node-redis 6", nodeRedis6],
  ["node-redis 5", nodeRedis5],
  ["ioredis", ioredis],
];

for (const [library, client] of CLIENTS) {
  const prefixes = new WeakMap<RedisStore, string>();
  runStoreConformance(
    `redis (${library})`,
    () => {
      const prefix = uniquePrefix();
      const store = redisStore({ client, prefix, userKey: "userId" });
      prefixes.set(store, prefix);
      return store;
    },
    {
      selfExpiring: true,
      expiryTolerance: 1_000,
      cleanup: async (store) => {
        const prefix = prefixes.get(store);
        if (prefix !== undefined) await deleteKeysUnder(prefix);
      },
    },
  );
}

/** Runs `body` against a fresh store on a fresh prefix, for each client library, then cleans up. */
function eachClient(
  name: string,
  body: (store: RedisStore, prefix: string) => Promise<void>,
  storeOptions: { userKey?: string } = { userKey: "userId" },
): void {
  for (const [library, client] of CLIENTS) {
    test(`${name} (${library})`, async () => {
      const prefix = uniquePrefix();
      const store = redisStore({ client, prefix, ...storeOptions });
      try {
        await body(store, prefix);
      } finally {
        await deleteKeysUnder(prefix);
        await store.close();
      }
    });
  }
}

/** Collects the commands Redis receives while `action` runs, via MONITOR on its own connection. */
async function commandsDuring(
  action: () => Promise<unknown>,
  marker: string,
  keyPart: string,
): Promise<string[]> {
  const socket = connectSocket(address.port, address.host);
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  socket.write("MONITOR\r\n");
  while (!text.includes("+OK")) await sleep(5);
  await action();
  // A marker command after the action: once MONITOR shows it, every command before it is in.
  await redisCommand(address, "ECHO", marker);
  while (!text.includes(marker)) await sleep(5);
  socket.destroy();
  // Other programs may share this Redis: keep only the commands on this test's keys.
  return text
    .split("\r\n")
    .filter((line) => line.startsWith("+") && line.includes(keyPart) && !/ \[\d+ lua\] /.test(line))
    .map((line) => line.replace(/^\+[\d.]+ \[[^\]]*\] /, ""));
}

describe("redis: the layout users inspect with redis-cli", () => {
  eachClient(
    "a session is a hash of JSON fields plus @created and @expires, its TTL the remaining lifetime",
    async (store, prefix) => {
      const id = newId();
      const createdAt = Date.now() - 1_000;
      const expiresAt = Date.now() + 31 * 24 * 60 * MINUTE;
      await store.apply(id, setPatch({ username: "alice", cart: [1, 2], "@odd": true }), {
        createdAt,
        expiresAt,
        mustExist: false,
      });
      const fields = (await redisCommand(address, "HGETALL", `${prefix}${id}`)) as string[];
      const asObject = Object.fromEntries(
        Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]),
      );
      assert.deepEqual(asObject, {
        "@created": String(createdAt),
        "@expires": String(expiresAt),
        username: '"alice"',
        cart: "[1,2]",
        "@@odd": "true",
      });
      const ttl = Number(await redisCommand(address, "PTTL", `${prefix}${id}`));
      assert.ok(
        Math.abs(ttl - (expiresAt - Date.now())) < 2_000,
        `PTTL ${ttl} is the remaining lifetime`,
      );
      assert.deepEqual((await store.get(id))?.data, {
        username: "alice",
        cart: [1, 2],
        "@odd": true,
      });
    },
  );

  eachClient('a session key named "@created" cannot overwrite the creation time', async (store) => {
    const id = newId();
    const createdAt = Date.now() - 5_000;
    await store.apply(id, setPatch({ "@created": "forged", "@@x": 1 }), {
      createdAt,
      expiresAt: Date.now() + MINUTE,
      mustExist: false,
    });
    const record = await store.get(id);
    assert.equal(record?.createdAt, createdAt);
    assert.deepEqual(record?.data, { "@created": "forged", "@@x": 1 });
  });

  eachClient(
    "a creation time that is not digits (empty, blank, negative) is a corrupt record, not the epoch",
    async (store, prefix) => {
      for (const created of ["", " ", "-5", "1e3"]) {
        const id = newId();
        await redisCommand(address, "HSET", `${prefix}${id}`, "@created", created, "user", '"ada"');
        await redisCommand(address, "PEXPIRE", `${prefix}${id}`, MINUTE);
        assert.equal(await store.get(id), undefined, JSON.stringify(created));
      }
    },
  );

  eachClient(
    "a value JSON cannot hold (undefined, a function) deletes its key, as JSON.stringify drops it",
    async (store) => {
      const id = newId();
      const times = { createdAt: Date.now(), expiresAt: Date.now() + MINUTE };
      await store.apply(id, setPatch({ a: 1, b: 2, c: 3 }), { ...times, mustExist: false });
      await store.apply(id, setPatch({ a: undefined, b: () => 1, d: 4 }, ["c"]), {
        ...times,
        mustExist: true,
      });
      assert.deepEqual((await store.get(id))?.data, { d: 4 });
    },
  );

  eachClient("a patch of thousands of keys is applied whole (Lua unpack limits)", async (store) => {
    const id = newId();
    const many = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`k${i}`, i]));
    await store.apply(id, setPatch(many), {
      createdAt: Date.now(),
      expiresAt: Date.now() + MINUTE,
      mustExist: false,
    });
    assert.equal(Object.keys((await store.get(id))?.data ?? {}).length, 2_500);
    const deleted = Object.keys(many).slice(0, 2_400);
    await store.apply(id, setPatch({}, deleted), {
      createdAt: Date.now(),
      expiresAt: Date.now() + MINUTE,
      mustExist: true,
    });
    assert.equal(Object.keys((await store.get(id))?.data ?? {}).length, 100);
  });
});

describe("redis: one round trip per operation", () => {
  eachClient(
    "one round trip each: get is one HGETALL; apply, touch, destroy and rename are one command",
    async (store, prefix) => {
      const id = newId();
      const key = `${prefix}${id}`;
      const times = { createdAt: Date.now(), expiresAt: Date.now() + 10 * MINUTE };
      const seen = async (action: () => Promise<unknown>) =>
        commandsDuring(action, `marker-${randomBytes(4).toString("hex")}`, prefix);

      const applied = await seen(() =>
        store.apply(id, setPatch({ a: 1 }), { ...times, mustExist: false }),
      );
      assert.equal(applied.length, 1, applied.join("\n"));
      assert.match(applied[0] ?? "", /^"(EVALSHA|EVAL)"/);

      const got = await seen(() => store.get(id));
      assert.deepEqual(got, [`"HGETALL" "${key}"`], "a read is one plain command");

      const touched = await seen(() => store.touch(id, Date.now() + 20 * MINUTE));
      assert.equal(touched.length, 1, touched.join("\n"));
      assert.match(touched[0] ?? "", /^"(EVALSHA|EVAL)"/, "a touch is one script call");

      const toId = newId();
      const renamed = await seen(() =>
        store.rename(id, toId, { patch: setPatch({}), expiresAt: times.expiresAt }),
      );
      assert.equal(renamed.length, 1, renamed.join("\n"));

      const destroyed = await seen(() => store.destroy(toId));
      assert.deepEqual(destroyed, [`"DEL" "${prefix}${toId}"`], "destroy is one DEL");
    },
    // Without userKey: with it, a regenerate whose patch does not name the user first reads
    // the stored one (HGET) to index the new id before the move.
    {},
  );

  eachClient(
    "scripts flushed from Redis (a restart, SCRIPT FLUSH) are loaded again",
    async (store) => {
      const id = newId();
      await redisCommand(address, "SCRIPT", "FLUSH");
      await store.apply(id, setPatch({ a: 1 }), {
        createdAt: Date.now(),
        expiresAt: Date.now() + MINUTE,
        mustExist: false,
      });
      await redisCommand(address, "SCRIPT", "FLUSH");
      assert.deepEqual((await store.get(id))?.data, { a: 1 });
    },
  );
});

describe("redis: records it did not write read as no session", () => {
  eachClient(
    "a string, a list or a hash without @created under a session key",
    async (store, prefix) => {
      const [asString, asList, foreignHash, badJson] = [newId(), newId(), newId(), newId()];
      await redisCommand(address, "SET", `${prefix}${asString}`, '{"user":"x"}');
      await redisCommand(address, "RPUSH", `${prefix}${asList}`, "a");
      await redisCommand(address, "HSET", `${prefix}${foreignHash}`, "user", '"x"');
      await redisCommand(
        address,
        "HSET",
        `${prefix}${badJson}`,
        "@created",
        "1",
        "user",
        "{not json",
      );
      for (const id of [asString, asList, foreignHash, badJson]) {
        assert.equal(await store.get(id), undefined, id);
      }
      for (const id of [asString, asList]) {
        const written = await store.apply(id, setPatch({ b: 1 }), {
          createdAt: 1,
          expiresAt: Date.now() + MINUTE,
          mustExist: true,
        });
        assert.equal(written, false, "a late write finds no session there");
      }
      // A new session under such a key (ids are random, so only corruption gets here) starts clean.
      const written = await store.apply(asString, setPatch({ fresh: true }), {
        createdAt: 5,
        expiresAt: Date.now() + MINUTE,
        mustExist: false,
      });
      assert.equal(written, true);
      assert.deepEqual(await store.get(asString).then((r) => r?.data), { fresh: true });
    },
  );
});

describe("redis: the per-user index", () => {
  async function login(store: RedisStore, userId: unknown, extra: Record<string, unknown> = {}) {
    const id = newId();
    await store.apply(id, setPatch({ userId, ...extra }), {
      createdAt: Date.now(),
      expiresAt: Date.now() + 10 * MINUTE,
      mustExist: false,
    });
    return id;
  }
  /**
   * Makes every entry of a user's index look an hour old. An entry younger than a minute whose
   * session is missing is kept (its write may still be on its way); an old one is dropped.
   */
  async function ageIndex(prefix: string, user: string): Promise<void> {
    const key = `${prefix}user:${user}`;
    const members = (await redisCommand(address, "ZRANGE", key, 0, -1)) as string[];
    for (const member of members) {
      await redisCommand(address, "ZADD", key, "XX", Date.now() - 3_600_000, member);
    }
  }
  async function idsOf(store: RedisStore, user: string | number): Promise<string[]> {
    const ids: string[] = [];
    for await (const summary of store.listByUser(user)) ids.push(summary.id);
    return ids.sort();
  }

  eachClient("listByUser lists a user's live sessions with their times", async (store) => {
    const a1 = await login(store, "ada");
    const a2 = await login(store, "ada");
    await login(store, "bob");
    assert.deepEqual(await idsOf(store, "ada"), [a1, a2].sort());
    const summaries = [];
    for await (const summary of store.listByUser("ada")) summaries.push(summary);
    for (const summary of summaries) {
      assert.ok(summary.createdAt <= Date.now() && summary.createdAt > Date.now() - MINUTE);
      assert.ok(summary.expiresAt > Date.now() + 9 * MINUTE);
    }
    assert.deepEqual(await idsOf(store, "nobody"), []);
  });

  eachClient(
    "destroyed, expired, logged-out and re-assigned sessions leave the list",
    async (store, prefix) => {
      const destroyed = await login(store, "ada");
      const expired = await login(store, "ada");
      const loggedOut = await login(store, "ada");
      const reassigned = await login(store, "ada");
      const kept = await login(store, "ada");
      await store.destroy(destroyed);
      await store.touch(expired, Date.now() - 1);
      await store.apply(loggedOut, setPatch({}, ["userId"]), {
        createdAt: 0,
        expiresAt: Date.now() + MINUTE,
        mustExist: true,
      });
      await store.apply(reassigned, setPatch({ userId: "bob" }), {
        createdAt: 0,
        expiresAt: Date.now() + MINUTE,
        mustExist: true,
      });
      assert.deepEqual(await idsOf(store, "ada"), [kept]);
      assert.deepEqual(await idsOf(store, "bob"), [reassigned]);
      // Once the entries are past their grace minute, listing drops the dead ones from the index.
      await ageIndex(prefix, "ada");
      assert.deepEqual(await idsOf(store, "ada"), [kept]);
      assert.deepEqual(await redisCommand(address, "ZRANGE", `${prefix}user:ada`, 0, -1), [kept]);
    },
  );

  eachClient("a regenerated session is listed under its new id", async (store) => {
    const id = await login(store, "ada");
    const toId = store.renameTarget?.(id, newId()) ?? newId();
    assert.equal(
      await store.rename(id, toId, { patch: setPatch({}), expiresAt: Date.now() + MINUTE }),
      true,
    );
    assert.deepEqual(await idsOf(store, "ada"), [toId]);
  });

  eachClient("revokeUser ends every session of that user and no other", async (store) => {
    const ada = [await login(store, "ada"), await login(store, "ada"), await login(store, "ada")];
    const bob = await login(store, "bob");
    const reassigned = await login(store, "ada");
    await store.apply(reassigned, setPatch({ userId: "carol" }), {
      createdAt: 0,
      expiresAt: Date.now() + MINUTE,
      mustExist: true,
    });
    assert.equal(await store.revokeUser("ada"), 3);
    for (const id of ada) assert.equal(await store.get(id), undefined);
    assert.notEqual(await store.get(bob), undefined);
    assert.notEqual(await store.get(reassigned), undefined, "no longer ada's: kept");
    assert.deepEqual(await idsOf(store, "ada"), []);
    assert.equal(await store.revokeUser("ada"), 0);
  });

  eachClient(
    "a regenerate without the user key in its patch indexes the new id from the stored one",
    async (store) => {
      const id = await login(store, "ada", { cart: 1 });
      const toId = store.renameTarget?.(id, newId()) ?? newId();
      await store.rename(id, toId, {
        patch: setPatch({ cart: 2 }),
        expiresAt: Date.now() + MINUTE,
      });
      assert.equal(await store.revokeUser("ada"), 1, "log out everywhere reaches the new id");
      assert.equal(await store.get(toId), undefined);
    },
  );

  eachClient(
    "the index entry is written before the session, so a login cannot escape revokeUser",
    async (store, prefix) => {
      const id = newId();
      const seen = await commandsDuring(
        () =>
          store.apply(id, setPatch({ userId: "ada" }), {
            createdAt: Date.now(),
            expiresAt: Date.now() + MINUTE,
            mustExist: false,
          }),
        `marker-${randomBytes(4).toString("hex")}`,
        prefix,
      );
      // The index script names the user's index; the write names the session's key.
      const index = seen.findIndex(
        (line) => /^"EVAL(SHA)?"/.test(line) && line.includes(`"${prefix}user:ada"`),
      );
      const write = seen.findIndex(
        (line) => /^"EVAL(SHA)?"/.test(line) && line.includes(`"${prefix}${id}"`),
      );
      assert.ok(index !== -1 && write !== -1 && index < write, seen.join("\n"));
    },
  );

  eachClient("numeric and string spellings of one user id are the same user", async (store) => {
    const asNumber = await login(store, 42);
    const asString = await login(store, "42");
    assert.deepEqual(await idsOf(store, 42), [asNumber, asString].sort());
    assert.equal(await store.revokeUser("42"), 2);
  });

  eachClient(
    "purgeExpired drops index entries of ended sessions and empty indexes",
    async (store, prefix) => {
      const gone = await login(store, "ada");
      // Ended without a logout (expired, or deleted by hand): its entry stays until tidied.
      await redisCommand(address, "DEL", `${prefix}${gone}`);
      assert.equal(await store.purgeExpired(), 0);
      assert.equal(
        await redisCommand(address, "EXISTS", `${prefix}user:ada`),
        1,
        "a young entry is kept: its session's write may still be on its way",
      );
      await ageIndex(prefix, "ada");
      assert.equal(await store.purgeExpired(), 0);
      assert.equal(await redisCommand(address, "EXISTS", `${prefix}user:ada`), 0);
    },
  );

  eachClient("a logout takes its session out of its user's index", async (store, prefix) => {
    const stays = await login(store, "ada");
    const leaves = await login(store, "ada");
    await store.destroy(leaves);
    const members = await redisCommand(address, "ZRANGE", `${prefix}user:ada`, 0, -1);
    assert.deepEqual(members, [stays]);
    await store.destroy(stays);
    // Its last entry gone, the index itself is gone (Redis drops an empty sorted set).
    assert.equal(await redisCommand(address, "EXISTS", `${prefix}user:ada`), 0);
  });

  eachClient(
    "160 logins and logouts leave no index behind, however long the user id",
    async (store, prefix) => {
      const user = "u".repeat(10_000);
      for (let round = 0; round < 160; round++) await store.destroy(await login(store, user));
      assert.equal(await redisCommand(address, "EXISTS", `${prefix}user:${user}`), 0);
    },
  );

  eachClient(
    "an index expires with its longest-lived session, following writes, refreshes and regenerates",
    async (store, prefix) => {
      const indexKey = `${prefix}user:ada`;
      const ttlOf = async (key: string) => Number(await redisCommand(address, "PTTL", key));
      const short = newId();
      await store.apply(short, setPatch({ userId: "ada" }), {
        createdAt: Date.now(),
        expiresAt: Date.now() + MINUTE,
        mustExist: false,
      });
      const first = await ttlOf(indexKey);
      assert.ok(
        first > 0 && first <= MINUTE,
        `an index has a TTL, at most its session's: ${first}`,
      );
      // A longer-lived session of the same user carries the index with it...
      const long = await login(store, "ada");
      const longer = await ttlOf(indexKey);
      assert.ok(longer > MINUTE && longer <= 10 * MINUTE, `${longer}`);
      assert.ok(longer <= (await ttlOf(`${prefix}${long}`)) + 1_000);
      // ...and so do a refresh and a write that move a session's expiry further...
      await store.touch(short, Date.now() + 20 * MINUTE);
      assert.ok((await ttlOf(indexKey)) > 10 * MINUTE);
      await store.apply(long, setPatch({ cart: [1] }), {
        createdAt: Date.now(),
        expiresAt: Date.now() + 30 * MINUTE,
        mustExist: true,
      });
      const afterWrite = await ttlOf(indexKey);
      assert.ok(afterWrite > 20 * MINUTE && afterWrite <= 30 * MINUTE, `${afterWrite}`);
      // ...while a shorter refresh never shortens it below a session that lives on.
      await store.touch(short, Date.now() + MINUTE);
      assert.ok((await ttlOf(indexKey)) > 20 * MINUTE);
      // A regenerated session keeps one entry, under its new id.
      const renamed = newId();
      assert.equal(
        await store.rename(long, renamed, {
          patch: setPatch({}),
          expiresAt: Date.now() + 30 * MINUTE,
        }),
        true,
      );
      const members = (await redisCommand(address, "ZRANGE", indexKey, 0, -1)) as string[];
      assert.deepEqual(members.sort(), [renamed, short].sort());
    },
  );

  test("listByUser and revokeUser without userKey are a clear error", async () => {
    const store = redisStore({ client: nodeRedis6, prefix: uniquePrefix() });
    await assert.rejects(store.revokeUser("ada"), /userKey: "userId"/);
    await assert.rejects(async () => {
      for await (const _ of store.listByUser("ada")) break;
    }, /userKey/);
  });

  test("a user id that is neither a string nor a number is an ArgumentError", async () => {
    const store = redisStore({ client: nodeRedis6, prefix: uniquePrefix(), userKey: "userId" });
    await assert.rejects(store.revokeUser({} as unknown as string), ArgumentError);
    await assert.rejects(store.revokeUser(""), ArgumentError);
  });
});

describe("redis: configuration mistakes are clear at startup", () => {
  test("a missing or foreign client", () => {
    assert.throws(() => redisStore({} as never), ConfigError);
    assert.throws(
      () => redisStore({ client: {} as never }),
      /neither a node-redis nor an ioredis client/,
    );
  });
  test("a bad userKey, prefix or timeout", () => {
    assert.throws(() => redisStore({ client: nodeRedis6, userKey: "" }), /userKey/);
    assert.throws(() => redisStore({ client: nodeRedis6, prefix: 5 as never }), /prefix/);
    assert.throws(
      () => redisStore({ client: nodeRedis6, timeout: "0s" }),
      /timeout must be positive/,
    );
  });
  test("a node-redis client that was never connected fails with what to do", async () => {
    const store = redisStore({ client: createClient({ url }) });
    await assert.rejects(store.get(newId()), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, /await client\.connect\(\)/);
      return true;
    });
  });
});

describe("redis: listing and the user index on a private server", () => {
  test("list reads the keyspace one SCAN batch at a time: the first session comes before the scan ends", async () => {
    const server = await startRedisServer();
    const client = await createClient({ url: server.url }).connect();
    const store = redisStore({ client, timeout: "30s" });
    try {
      const now = Date.now();
      for (let start = 0; start < 10_000; start += 500) {
        await Promise.all(
          Array.from({ length: 500 }, () =>
            store.apply(newId(), setPatch({ a: 1 }), {
              createdAt: now,
              expiresAt: now + MINUTE,
              mustExist: false,
            }),
          ),
        );
      }
      const scans = async () => {
        const stats = String(await client.sendCommand(["INFO", "commandstats"]));
        return Number(/cmdstat_scan:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      };
      const listing = store.list()[Symbol.asyncIterator]();
      assert.equal((await listing.next()).done, false);
      // 10,000 keys take about 20 SCANs of 500; a listing that gathered every key first would
      // have sent them all before its first session.
      assert.ok((await scans()) <= 2, `${await scans()} SCANs before the first session`);
      let count = 1;
      while (!(await listing.next()).done) count += 1;
      assert.equal(count, 10_000);
      assert.ok((await scans()) >= 10);
    } finally {
      await store.close();
      await client.close();
      await server.stop();
    }
  });

  test("a user with hundreds of live sessions costs a tidy per doubling of the index, not per login", async () => {
    const server = await startRedisServer();
    const client = await createClient({ url: server.url }).connect();
    const store = redisStore({ client, userKey: "userId" });
    try {
      const now = Date.now();
      for (let login = 0; login < 300; login += 1) {
        await store.apply(newId(), setPatch({ userId: "busy" }), {
          createdAt: now,
          expiresAt: now + MINUTE,
          mustExist: false,
        });
      }
      // A tidy reads the whole index (one ZRANGE); it runs after the response, so let it land.
      await sleep(200);
      const stats = await client.sendCommand(["INFO", "commandstats"]);
      const tidies = Number(/cmdstat_zrange:calls=(\d+)/.exec(String(stats))?.[1] ?? 0);
      // At 64, 128 and 256 entries; one per login past 64 would be 236.
      assert.ok(tidies <= 3, `${tidies} tidies for 300 logins`);
      const sessions = [];
      for await (const session of store.listByUser("busy")) sessions.push(session);
      assert.equal(sessions.length, 300, "every live session stays in the index");
    } finally {
      await store.close();
      await client.close();
      await server.stop();
    }
  });
});

describe("redis: outages on a private server", () => {
  let server: RedisServerProcess;
  before(async () => {
    server = await startRedisServer({ args: ["--enable-debug-command", "yes"] });
  });
  after(async () => {
    await server.stop();
  });

  async function connectTo(library: "node-redis" | "ioredis", serverUrl: string) {
    if (library === "node-redis") return createClient({ url: serverUrl }).connect();
    const client = new Redis(serverUrl, { lazyConnect: true });
    await client.connect();
    return client;
  }

  for (const library of ["node-redis", "ioredis"] as const) {
    test(`a dead server is a quick StoreUnavailableError, and service resumes when it is back (${library})`, async () => {
      const client = await connectTo(library, server.url);
      const store = redisStore({ client, timeout: "1s" });
      try {
        const id = newId();
        await store.apply(id, setPatch({ a: 1 }), {
          createdAt: Date.now(),
          expiresAt: Date.now() + MINUTE,
          mustExist: false,
        });
        await server.kill("SIGKILL");
        const latencies: number[] = [];
        for (let attempt = 0; attempt < 20; attempt += 1) {
          const started = performance.now();
          await assert.rejects(store.get(id), StoreUnavailableError);
          latencies.push(performance.now() - started);
          await sleep(50);
        }
        assert.ok(Math.max(...latencies) < 1_500, `bounded by the 1 s timeout: ${latencies}`);
        // Once the client knows the server is gone, calls fail at once rather than queueing
        // for the deadline while the client reconnects.
        const settled = latencies.slice(5);
        assert.ok(Math.max(...settled) < 100, `fail fast while reconnecting: ${settled}`);
        await server.restart();
        // The client reconnects by itself; the store answers again without being recreated.
        let answered = false;
        for (let attempt = 0; attempt < 100 && !answered; attempt += 1) {
          try {
            await store.apply(id, setPatch({ b: 2 }), {
              createdAt: Date.now(),
              expiresAt: Date.now() + MINUTE,
              mustExist: false,
            });
            answered = true;
          } catch (error) {
            assert.ok(error instanceof StoreUnavailableError, String(error));
            await sleep(100);
          }
        }
        assert.ok(answered, "Redis answered again after the restart");
        assert.deepEqual((await store.get(id))?.data, { b: 2 }, "the server restarted empty");
      } finally {
        await store.close();
        if (client instanceof Redis) client.disconnect();
        else client.destroy();
      }
    });
  }

  for (const library of ["node-redis", "ioredis"] as const) {
    test(`a reconnect that hangs in the handshake fails fast instead of queueing (${library})`, async () => {
      const client = await connectTo(library, server.url);
      const store = redisStore({ client, timeout: "1s" });
      // Once the client has lost Redis, something on its port accepts connections and never
      // answers: the client sits in its connecting/handshake state, where a command would wait
      // in the client's offline queue for the whole deadline and run whenever Redis returned.
      let silent: Server | undefined;
      const sockets = new Set<Socket>();
      try {
        await server.kill("SIGKILL");
        silent = createNetServer((socket) => sockets.add(socket));
        await new Promise<void>((resolve) => silent?.listen(server.port, "127.0.0.1", resolve));
        await sleep(300);
        const latencies: number[] = [];
        for (let attempt = 0; attempt < 10; attempt += 1) {
          const started = performance.now();
          await assert.rejects(store.get(newId()), StoreUnavailableError);
          latencies.push(performance.now() - started);
          await sleep(30);
        }
        assert.ok(Math.max(...latencies) < 100, `failed fast: ${latencies}`);
      } finally {
        await store.close();
        if (client instanceof Redis) client.disconnect();
        else client.destroy();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
        await server.restart();
      }
    });
  }

  test("a server that stops answering is a StoreUnavailableError after the timeout", async () => {
    const client = await createClient({ url: server.url }).connect();
    const store = redisStore({ client, timeout: "200ms" });
    try {
      const sleeper = createClient({ url: server.url });
      await sleeper.connect();
      void sleeper.sendCommand(["DEBUG", "SLEEP", "1"]).catch(() => {});
      await sleep(50);
      const started = performance.now();
      await assert.rejects(store.get(newId()), /did not answer get within 200 ms/);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 190 && elapsed < 800, `gave up after ${elapsed} ms`);
      await sleep(1_000);
      await sleeper.quit();
    } finally {
      await store.close();
      await client.quit();
    }
  });
});
