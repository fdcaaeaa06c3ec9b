/**
 * The Redis store with `layout: "flask-session"` against a real redis-server: the conformance
 * suite through node-redis 6, node-redis 5 and ioredis, in both serializations; the record as
 * Flask-Session writes it (the bytes, the TTL, `_permanent`); values it did not change kept byte
 * for byte; keys that are not text and extension types; repeated keys; records in the other
 * serialization; records it cannot read; the per-user index; and the configuration it refuses.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { createClient as createClientV5 } from "redis-v5";
import { FlaskFloat } from "../../src/codecs/flask/index.ts";
import { decodeMsgpack, encodeMsgpack, MsgpackExtension } from "../../src/codecs/msgpack/index.ts";
import { ConfigError, SessionValueError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { RedisClientLike } from "../../src/stores/redis/connection.ts";
import {
  type RedisStore,
  type RedisStoreOptions,
  redisStore,
} from "../../src/stores/redis/index.ts";
import {
  hostileRecords,
  mp,
  NON_TEXT_KEYS,
  pythonRecord,
  rawMap,
  UNREADABLE_RECORDS,
} from "../support/flask-session-records.ts";
import { newId, setPatch, uniquePrefix } from "../support/patches.ts";
import { deleteKeysUnder, ensureRedis } from "../support/redis-server.ts";

const url = await ensureRedis();
const address = { host: new URL(url).hostname, port: Number(new URL(url).port || 6379) };
const MINUTE = 60_000;

const nodeRedis6 = await createClient({ url }).connect();
const nodeRedis5 = await createClientV5({ url }).connect();
const ioredis = new Redis(url, { lazyConnect: true });
await ioredis.connect();
/** Reads and writes raw bytes, as Python would. */
const raw = new Redis(url, { lazyConnect: true });
await raw.connect();
after(async () => {
  await Promise.all([nodeRedis6.quit(), nodeRedis5.quit(), ioredis.quit(), raw.quit()]);
});

const CLIENTS: [string, RedisClientLike][] = [
  ["node-redis 6", nodeRedis6],
  ["node-redis 5", nodeRedis5],
  ["ioredis", ioredis],
];

for (const serializer of ["msgpack", "json"] as const) {
  for (const [library, client] of CLIENTS) {
    const prefixes = new WeakMap<RedisStore, string>();
    runStoreConformance(
      `redis flask-session ${serializer} (${library})`,
      () => {
        const prefix = uniquePrefix();
        const store = redisStore({
          client,
          prefix,
          layout: "flask-session",
          serializer,
          userKey: "userId",
        });
        prefixes.set(store, prefix);
        return store;
      },
      {
        selfExpiring: true,
        expiryTolerance: 1_000,
        keepsCreatedAt: false,
        storesBigInt: true,
        cleanup: async (store) => {
          const prefix = prefixes.get(store);
          if (prefix !== undefined) await deleteKeysUnder(address, prefix);
        },
      },
    );
  }
}

/** Runs `body` against a fresh flask-session store on a fresh prefix, for each client library. */
function eachClient(
  name: string,
  body: (store: RedisStore, prefix: string) => Promise<void>,
  storeOptions: Partial<RedisStoreOptions> = {},
): void {
  for (const [library, client] of CLIENTS) {
    test(`${name} (${library})`, async () => {
      const prefix = uniquePrefix();
      const store = redisStore({ client, prefix, layout: "flask-session", ...storeOptions });
      try {
        await body(store, prefix);
      } finally {
        await deleteKeysUnder(address, prefix);
        await store.close();
      }
    });
  }
}

const fresh = () => ({ createdAt: Date.now(), expiresAt: Date.now() + 31 * 24 * 60 * MINUTE });

describe("redis flask-session: the record is Flask-Session's", () => {
  eachClient(
    "one string key, msgspec MessagePack of the dict, TTL the remaining lifetime",
    async (store, prefix) => {
      const id = newId();
      const times = fresh();
      await store.apply(id, setPatch({ user: "ada", cart: [1, 2], score: new FlaskFloat(1) }), {
        ...times,
        mustExist: false,
      });
      const key = `${prefix}${id}`;
      assert.equal(await raw.type(key), "string");
      const bytes = await raw.getBuffer(key);
      assert.ok(bytes);
      assert.equal(
        bytes.toString("hex"),
        Buffer.from(
          encodeMsgpack({ user: "ada", cart: [1, 2], score: new FlaskFloat(1) }),
        ).toString("hex"),
      );
      const ttl = await raw.pttl(key);
      assert.ok(Math.abs(ttl - (times.expiresAt - Date.now())) < 2_000, `PTTL ${ttl}`);
      const record = await store.get(id);
      assert.deepEqual(record?.data, { user: "ada", cart: [1, 2], score: 1 });
      assert.ok(
        record && Math.abs(record.createdAt - Date.now()) < 2_000,
        "createdAt reads as now",
      );
      assert.equal(store.capabilities.keepsCreatedAt, false);
      assert.equal(store.layout, "flask-session");
    },
  );

  eachClient(
    "serializer json writes msgspec's compact JSON",
    async (store, prefix) => {
      const id = newId();
      await store.apply(
        id,
        setPatch({ user: "ädä", n: 2n ** 60n, f: new FlaskFloat(2), when: new Date(0) }),
        { ...fresh(), mustExist: false },
      );
      assert.equal(
        await raw.get(`${prefix}${id}`),
        '{"user":"ädä","n":1152921504606846976,"f":2.0,"when":"1970-01-01T00:00:00.000Z"}',
      );
      assert.deepEqual((await store.get(id))?.data, {
        user: "ädä",
        n: 2n ** 60n,
        f: 2,
        when: "1970-01-01T00:00:00.000Z",
      });
    },
    { serializer: "json" },
  );

  eachClient("clear keeps _permanent, as Flask-Session's clear() does", async (store, prefix) => {
    const id = newId();
    await store.apply(id, setPatch({ _permanent: true, a: 1 }), { ...fresh(), mustExist: false });
    await store.apply(id, setPatch({ b: 2 }, [], true), { ...fresh(), mustExist: true });
    assert.deepEqual(decodeMsgpack((await raw.getBuffer(`${prefix}${id}`)) as Buffer), {
      _permanent: true,
      b: 2,
    });
    assert.deepEqual((await store.get(id))?.data, { _permanent: true, b: 2 });
  });

  eachClient("a record Flask wrote keeps its _permanent: false", async (store, prefix) => {
    const id = newId();
    await raw.set(
      `${prefix}${id}`,
      Buffer.from(encodeMsgpack({ _permanent: false, a: 1 })),
      "PX",
      MINUTE,
    );
    assert.deepEqual((await store.get(id))?.data, { _permanent: false, a: 1 });
    await store.apply(id, setPatch({ b: 2 }), { ...fresh(), mustExist: true });
    assert.deepEqual(decodeMsgpack((await raw.getBuffer(`${prefix}${id}`)) as Buffer), {
      _permanent: false,
      a: 1,
      b: 2,
    });
  });

  eachClient(
    "a value JSON cannot hold at the top (undefined, a function) deletes its key; nested, it is refused",
    async (store) => {
      const id = newId();
      await store.apply(id, setPatch({ a: 1, b: 2, c: 3 }), { ...fresh(), mustExist: false });
      await store.apply(id, setPatch({ a: undefined, b: () => 1, d: 4 }, ["c"]), {
        ...fresh(),
        mustExist: true,
      });
      assert.deepEqual((await store.get(id))?.data, { d: 4 });
      await assert.rejects(
        store.apply(id, setPatch({ bad: { f: () => 1 } }), { ...fresh(), mustExist: true }),
        (error: unknown) => {
          assert.ok(error instanceof SessionValueError);
          assert.match(error.message, /key "bad".*a function at value\["f"\]/);
          return true;
        },
      );
      assert.deepEqual((await store.get(id))?.data, { d: 4 });
    },
  );
});

describe("redis flask-session: values it does not change stay byte for byte", () => {
  eachClient(
    "Python's float 1.0, a datetime to the microsecond and an unknown extension survive a patch",
    async (store, prefix) => {
      const id = newId();
      const key = `${prefix}${id}`;
      await raw.set(key, Buffer.from(pythonRecord(), "hex"), "PX", MINUTE);
      await store.apply(id, setPatch({ added: "yes" }), { ...fresh(), mustExist: true });
      assert.equal(
        (await raw.getBuffer(key))?.toString("hex"),
        pythonRecord(mp("added") + mp("yes")),
      );
      // The extension reads as a MsgpackExtension; set again, it is written as it came.
      const data = (await store.get(id))?.data;
      assert.deepEqual(data?.ext, new MsgpackExtension(5, Buffer.from("xy")));
      await store.apply(id, setPatch({ ext: data?.ext, added: "again" }), {
        ...fresh(),
        mustExist: true,
      });
      assert.equal(
        (await raw.getBuffer(key))?.toString("hex"),
        pythonRecord(mp("added") + mp("again")),
      );
    },
  );

  eachClient("a changed key keeps its place; new keys go last", async (store, prefix) => {
    const id = newId();
    await raw.set(`${prefix}${id}`, Buffer.from(encodeMsgpack({ a: 1, b: 2, c: 3 })), "PX", MINUTE);
    await store.apply(id, setPatch({ d: 4, b: 20 }, ["a"]), { ...fresh(), mustExist: true });
    const bytes = (await raw.getBuffer(`${prefix}${id}`)) as Buffer;
    assert.equal(
      bytes.toString("hex"),
      Buffer.from(encodeMsgpack({ b: 20, c: 3, d: 4 })).toString("hex"),
    );
  });

  eachClient(
    "a map of 16 and of 65536 entries gets the wider header",
    async (store, prefix) => {
      const id = newId();
      const many = Object.fromEntries(Array.from({ length: 65_535 }, (_, i) => [`k${i}`, i]));
      await store.apply(id, setPatch({ _permanent: true, ...many }), {
        ...fresh(),
        mustExist: false,
      });
      const bytes = (await raw.getBuffer(`${prefix}${id}`)) as Buffer;
      assert.equal(
        bytes.subarray(0, 5).toString("hex"),
        "df00010000",
        "65536 entries with _permanent",
      );
      assert.equal(Object.keys((await store.get(id))?.data ?? {}).length, 65_536);
      await store.apply(id, setPatch({}, Object.keys(many).slice(0, 65_520)), {
        ...fresh(),
        mustExist: true,
      });
      const smaller = (await raw.getBuffer(`${prefix}${id}`)) as Buffer;
      assert.equal(smaller.subarray(0, 3).toString("hex"), "de0010");
      // A 65,536-entry record takes Redis's script well past the 1 s default on a machine whose
      // cores are busy: the deadline is not what this test is about.
    },
    { timeout: "60s" },
  );
});

describe("redis flask-session: keys that are not text and extension types read as JSON holds them", () => {
  eachClient(
    "a record with int, None and float keys at any depth reads, and its keys take patches by those names",
    async (store, prefix) => {
      const id = newId();
      const key = `${prefix}${id}`;
      const { cart, bytesKey } = NON_TEXT_KEYS;
      await raw.set(key, NON_TEXT_KEYS.record, "PX", MINUTE);
      // A bytes key JSON cannot hold is left out, as json.dumps(skipkeys=True) does.
      assert.deepEqual((await store.get(id))?.data, {
        _permanent: true,
        "42": "int",
        null: "none",
        cart: { "42": 1 },
        "1.5": "float",
      });
      assert.equal(
        await store.apply(id, setPatch({ "42": "changed", added: 1 }, ["null", "1.5"]), {
          ...fresh(),
          mustExist: true,
        }),
        true,
      );
      // "42" takes the int key's place; what was not changed keeps its bytes.
      assert.equal(
        (await raw.getBuffer(key))?.toString("hex"),
        `85${mp("_permanent")}c3${mp("42")}${mp("changed")}${cart}${bytesKey}${mp("added")}01`,
      );
      assert.deepEqual((await store.get(id))?.data, {
        _permanent: true,
        "42": "changed",
        cart: { "42": 1 },
        added: 1,
      });
      await store.apply(id, setPatch({ b: 1 }, [], true), { ...fresh(), mustExist: true });
      assert.equal(
        (await raw.getBuffer(key))?.toString("hex"),
        `82${mp("_permanent")}c3${mp("b")}01`,
        "clear removes the keys tessera cannot name too",
      );
    },
  );

  test("the script names every top-level key that is not text as the reader does", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ client: ioredis, prefix, layout: "flask-session" });
    const float64 = (bits: bigint) => {
      const bytes = Buffer.alloc(9);
      bytes[0] = 0xcb;
      bytes.writeBigUInt64BE(bits, 1);
      return bytes.toString("hex");
    };
    const keys = fc.oneof(
      fc.double().map((x) => mp(new FlaskFloat(x))),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(float64),
      fc
        .tuple(fc.boolean(), fc.integer({ min: 0, max: 2047 }))
        .map(([negative, exponent]) =>
          float64(((negative ? 1n : 0n) << 63n) | (BigInt(exponent) << 52n)),
        ),
      fc.float().map((x) => {
        const bytes = Buffer.alloc(5);
        bytes[0] = 0xca;
        bytes.writeFloatBE(x, 1);
        return bytes.toString("hex");
      }),
      fc.integer().map(mp),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map(mp),
      fc.constantFrom(
        "c0",
        "c2",
        "c3",
        "cc05",
        "cd0005",
        "ce00000005",
        "cf0000000000000005",
        "d0fb",
        "d1fffb",
        "d2fffffffb",
        "d3fffffffffffffffb",
        "d30000000000000000",
      ),
    );
    try {
      await fc.assert(
        fc.asyncProperty(keys, async (keyHex) => {
          const id = newId();
          const key = `${prefix}${id}`;
          const record = rawMap([mp("before"), "00"], [keyHex, mp("v")], [mp("after"), "01"]);
          await raw.set(key, record, "PX", MINUTE);
          const data = (await store.get(id))?.data ?? {};
          const name = Object.keys(data).find((k) => data[k] === "v");
          assert.ok(name !== undefined, "the key reads");
          await store.apply(id, setPatch({ [name]: "set" }), { ...fresh(), mustExist: true });
          assert.equal(
            (await raw.getBuffer(key))?.toString("hex"),
            `83${mp("before")}00${mp(name)}${mp("set")}${mp("after")}01`,
            `${keyHex} reads as ${name}, which a set replaces`,
          );
          await raw.set(key, record, "PX", MINUTE);
          await store.apply(id, setPatch({}, [name]), { ...fresh(), mustExist: true });
          assert.equal(
            (await raw.getBuffer(key))?.toString("hex"),
            `82${mp("before")}00${mp("after")}01`,
            `${keyHex} reads as ${name}, which a delete removes`,
          );
        }),
        { numRuns: 400 },
      );
    } finally {
      await deleteKeysUnder(address, prefix);
      await store.close();
    }
  });

  eachClient(
    "a MsgpackExtension cannot go into a JSON record: a SessionValueError naming the key",
    async (store) => {
      const id = newId();
      await assert.rejects(
        store.apply(id, setPatch({ ext: new MsgpackExtension(5, Buffer.from("x")) }), {
          ...fresh(),
          mustExist: false,
        }),
        /key "ext".*a MsgpackExtension/,
      );
    },
    { serializer: "json" },
  );
});

describe("redis flask-session: a key stored twice (another client wrote it) reads and patches as one", () => {
  // Reads take the last of the entries with one name; a patch that sets the name writes it once,
  // in the first one's place, and a delete removes them all. Entries the patch does not touch
  // keep their bytes, repeats included, and reads still take the last.
  eachClient("JSON", async (store, prefix) => {
    const id = newId();
    const key = `${prefix}${id}`;
    await raw.set(key, '{"role":"user","x":1,"role":"admin","y":[1],"y":[2]}', "PX", MINUTE);
    assert.deepEqual((await store.get(id))?.data, { role: "admin", x: 1, y: [2] });
    await store.apply(id, setPatch({ role: "owner" }), { ...fresh(), mustExist: true });
    assert.equal(await raw.get(key), '{"role":"owner","x":1,"y":[1],"y":[2]}');
    assert.deepEqual((await store.get(id))?.data, { role: "owner", x: 1, y: [2] });

    await raw.set(key, '{"role":"user","x":1,"role":"admin"}', "PX", MINUTE);
    await store.apply(id, setPatch({}, ["role"]), { ...fresh(), mustExist: true });
    assert.equal(await raw.get(key), '{"x":1}');

    await raw.set(key, '{"role":"user","x":1,"role":"admin"}', "PX", MINUTE);
    const toId = newId();
    await store.rename(id, toId, {
      patch: setPatch({ role: "moved" }),
      expiresAt: Date.now() + MINUTE,
    });
    assert.equal(await raw.get(`${prefix}${toId}`), '{"role":"moved","x":1}');
  });

  eachClient(
    "MessagePack, a text key and an int key of one name included",
    async (store, prefix) => {
      const id = newId();
      const key = `${prefix}${id}`;
      const stored = rawMap(
        [mp("role"), mp("user")],
        [mp("x"), "01"],
        [mp("role"), mp("admin")],
        ["2a", mp("int")],
        [mp("42"), mp("text")],
      );
      await raw.set(key, stored, "PX", MINUTE);
      assert.deepEqual((await store.get(id))?.data, { role: "admin", x: 1, "42": "text" });
      await store.apply(id, setPatch({ role: "owner" }), { ...fresh(), mustExist: true });
      assert.equal(
        (await raw.getBuffer(key))?.toString("hex"),
        rawMap(
          [mp("role"), mp("owner")],
          [mp("x"), "01"],
          ["2a", mp("int")],
          [mp("42"), mp("text")],
        ).toString("hex"),
      );
      assert.deepEqual((await store.get(id))?.data, { role: "owner", x: 1, "42": "text" });
      await store.apply(id, setPatch({ "42": "one" }, ["role"]), { ...fresh(), mustExist: true });
      assert.equal(
        (await raw.getBuffer(key))?.toString("hex"),
        rawMap([mp("x"), "01"], [mp("42"), mp("one")]).toString("hex"),
      );
      assert.deepEqual((await store.get(id))?.data, { x: 1, "42": "one" });
    },
  );
});

describe("redis flask-session: records in the other serialization", () => {
  eachClient(
    "a msgpack store reads and patches a JSON record, which stays JSON",
    async (store, prefix) => {
      const id = newId();
      const key = `${prefix}${id}`;
      await raw.set(key, '{"_permanent": true, "user": "ada", "n": 1.0}', "PX", MINUTE);
      assert.deepEqual((await store.get(id))?.data, { _permanent: true, user: "ada", n: 1 });
      await store.apply(id, setPatch({ cart: [1] }), { ...fresh(), mustExist: true });
      assert.equal(await raw.get(key), '{"_permanent":true,"user":"ada","n":1.0,"cart":[1]}');
      const toId = newId();
      assert.equal(
        await store.rename(id, toId, {
          patch: setPatch({ more: true }),
          expiresAt: Date.now() + MINUTE,
        }),
        true,
      );
      assert.equal(
        await raw.get(`${prefix}${toId}`),
        '{"_permanent":true,"user":"ada","n":1.0,"cart":[1],"more":true}',
      );
    },
  );

  eachClient(
    "a json store reads and patches a MessagePack record, which stays MessagePack",
    async (store, prefix) => {
      const id = newId();
      const key = `${prefix}${id}`;
      await raw.set(key, Buffer.from(encodeMsgpack({ user: "ada" })), "PX", MINUTE);
      await store.apply(id, setPatch({ cart: [1] }), { ...fresh(), mustExist: true });
      assert.deepEqual(decodeMsgpack((await raw.getBuffer(key)) as Buffer), {
        user: "ada",
        cart: [1],
      });
    },
    { serializer: "json" },
  );
});

describe("redis flask-session: records it cannot read are no session", () => {
  eachClient(
    "pickle (Flask-Session 0.6), garbage, a JSON list, trailing bytes, a hash, a list",
    async (store, prefix) => {
      const values = UNREADABLE_RECORDS;
      const ids: string[] = [];
      for (const [, value] of values) {
        const id = newId();
        ids.push(id);
        await raw.set(`${prefix}${id}`, value, "PX", MINUTE);
      }
      const asHash = newId();
      await raw.hset(`${prefix}${asHash}`, "user", '"x"');
      const asList = newId();
      await raw.rpush(`${prefix}${asList}`, "a");
      ids.push(asHash, asList);
      for (const [index, id] of ids.entries()) {
        const name = values[index]?.[0] ?? id;
        assert.equal(await store.get(id), undefined, name);
        const written = await store.apply(id, setPatch({ b: 1 }), { ...fresh(), mustExist: true });
        assert.equal(written, false, `${name}: a late write finds no session there`);
        assert.equal(
          await store.rename(id, newId(), { patch: setPatch({}), expiresAt: Date.now() + MINUTE }),
          false,
          `${name}: nothing to move`,
        );
      }
      // A new session under such a key (ids are random, so only corruption gets here) starts clean.
      const [first] = ids;
      assert.ok(first);
      assert.equal(
        await store.apply(first, setPatch({ fresh: true }), { ...fresh(), mustExist: false }),
        true,
      );
      assert.deepEqual((await store.get(first))?.data, { fresh: true });
      assert.equal(
        await store.apply(asHash, setPatch({ fresh: 1 }), { ...fresh(), mustExist: false }),
        true,
      );
      assert.deepEqual((await store.get(asHash))?.data, { fresh: 1 });
    },
  );

  test("hostile stored bytes never make a call fail", async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ client: ioredis, prefix, layout: "flask-session", userKey: "u" });
    try {
      await fc.assert(
        fc.asyncProperty(hostileRecords, async (value) => {
          const id = newId();
          await raw.set(`${prefix}${id}`, value, "PX", MINUTE);
          const record = await store.get(id);
          if (record !== undefined) assert.equal(typeof record.data, "object");
          // The script splices what it can parse (an extension type tessera does not read, say)
          // without judging it; a record tessera read is always one it can patch.
          const written = await store.apply(id, setPatch({ b: 1 }), {
            ...fresh(),
            mustExist: true,
          });
          if (record !== undefined)
            assert.equal(written, true, "a record tessera read takes a patch");
          for await (const _ of store.listByUser("x")) break;
          await store.rename(id, newId(), { patch: setPatch({}), expiresAt: Date.now() + MINUTE });
        }),
        { numRuns: 300 },
      );
    } finally {
      await deleteKeysUnder(address, prefix);
      await store.close();
    }
  });

  eachClient("an expiry far in the future is an integer TTL for Redis", async (store, prefix) => {
    const id = newId();
    const times = { createdAt: Date.now(), expiresAt: Number.MAX_SAFE_INTEGER };
    assert.equal(await store.apply(id, setPatch({ a: 1 }), { ...times, mustExist: false }), true);
    assert.ok((await raw.pttl(`${prefix}${id}`)) > 10 ** 15);
  });

  eachClient("list skips keys of other types under the prefix", async (store, prefix) => {
    const id = newId();
    await store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false });
    await raw.hset(`${prefix}${newId()}`, "x", "1");
    const listed = [];
    for await (const summary of store.list()) listed.push(summary.id);
    assert.deepEqual(listed, [id]);
  });
});

describe("redis flask-session: the per-user index", () => {
  async function login(store: RedisStore, userId: unknown) {
    const id = newId();
    await store.apply(id, setPatch({ userId }), { ...fresh(), mustExist: false });
    return id;
  }

  for (const serializer of ["msgpack", "json"] as const) {
    eachClient(
      `listByUser and revokeUser find a user's sessions by string or number (${serializer})`,
      async (store) => {
        const [a, b, other] = [
          await login(store, "42"),
          await login(store, 42),
          await login(store, "7"),
        ];
        const listed = [];
        for await (const summary of store.listByUser(42)) listed.push(summary.id);
        assert.deepEqual(listed.sort(), [a, b].sort());
        assert.equal(await store.revokeUser("42"), 2);
        assert.equal(await store.get(a), undefined);
        assert.equal(await store.get(b), undefined);
        assert.deepEqual((await store.get(other))?.data, { userId: "7" });
      },
      { userKey: "userId", serializer },
    );
  }

  eachClient(
    "a regenerated session is indexed under its new id, with the user read from the record",
    async (store) => {
      const id = await login(store, "ada");
      const toId = newId();
      await store.rename(id, toId, {
        patch: setPatch({ more: 1 }),
        expiresAt: Date.now() + MINUTE,
      });
      const listed = [];
      for await (const summary of store.listByUser("ada")) listed.push(summary.id);
      assert.deepEqual(listed, [toId]);
    },
    { userKey: "userId" },
  );
});

describe("redis flask-session: configuration mistakes are clear at startup", () => {
  test("Redis Cluster is refused, through node-redis and ioredis", () => {
    const nodeCluster = createCluster({ rootNodes: [{ url }] });
    assert.throws(
      () => redisStore({ client: nodeCluster, layout: "flask-session" }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /does not work on Redis Cluster/);
        return true;
      },
    );
    const ioCluster = new Cluster([address], { lazyConnect: true });
    assert.throws(() => redisStore({ client: ioCluster, layout: "flask-session" }), ConfigError);
    ioCluster.disconnect();
  });

  test("an unknown layout or serializer, and Flask-Session options without its layout", () => {
    assert.throws(
      () => redisStore({ client: nodeRedis6, layout: "flask" as never }),
      /layout must be/,
    );
    assert.throws(
      () =>
        redisStore({ client: nodeRedis6, layout: "flask-session", serializer: "pickle" as never }),
      /serializer must be "msgpack"/,
    );
    assert.throws(
      () => redisStore({ client: nodeRedis6, serializer: "json" }),
      /layout "flask-session"/,
    );
  });
});
