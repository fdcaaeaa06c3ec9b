/**
 * tessera's Redis store (layout "flask-session") and a real Flask app with Flask-Session 0.8's
 * Redis sessions (flask_session_app.py) share sessions through one Redis: what Flask writes
 * tessera reads, what tessera writes Flask reads, changes from either side land in the other,
 * regenerate and logout on one side end the session for both, in MessagePack and in JSON, and
 * Flask's signed cookie is `sid.signature` as tessera's itsdangerous Signer makes it. A session
 * holding what JSON cannot (keys that are not text, extension types) is still one session to
 * both sides.
 *
 * Store level only: the cookie the engine sets is tested with the engine.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { FlaskFloat } from "../../src/codecs/flask/index.ts";
import { Signer } from "../../src/codecs/flask/signer.ts";
import { MsgpackExtension } from "../../src/codecs/msgpack/index.ts";
import type { RedisClientLike } from "../../src/stores/redis/connection.ts";
import { type RedisStore, redisStore } from "../../src/stores/redis/index.ts";
import { type FlaskSessionApp, startFlaskSessionApp } from "../support/flask-session-app.ts";
import {
  bool,
  bytes,
  dict,
  ext,
  float,
  int,
  list,
  none,
  pairs,
  str,
  type Typed,
  utc,
} from "../support/flask-typed.ts";
import { newId, setPatch } from "../support/patches.ts";
import { deleteKeysUnder, ensureRedis } from "../support/redis-server.ts";

const redisUrl = await ensureRedis();
const address = { host: new URL(redisUrl).hostname, port: Number(new URL(redisUrl).port || 6379) };
const nodeRedis = await createClient({ url: redisUrl }).connect();
const ioredis = new Redis(redisUrl, { lazyConnect: true });
await ioredis.connect();
after(async () => {
  await Promise.all([nodeRedis.quit(), ioredis.quit()]);
});

const SECRET = "interop-secret-at-least-24-bytes-long";
const LIFETIME_S = 7 * 24 * 3600;
const MINUTE = 60_000;
const signer = new Signer({ secrets: SECRET, salt: "flask-session", keyDerivation: "hmac" });

type Serializer = "msgpack" | "json";

interface Fixture {
  readonly flask: FlaskSessionApp;
  readonly store: RedisStore;
  readonly prefix: string;
}

/**
 * Runs `body` with a Flask app and a tessera store on one fresh key prefix, then stops the app
 * and deletes the keys.
 */
async function withFlask(
  options: { flask?: Serializer; tessera?: Serializer; client?: RedisClientLike },
  body: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  const prefix = `tessera-interop:${randomBytes(6).toString("base64url")}:`;
  const flask = await startFlaskSessionApp({
    secret: SECRET,
    redisUrl,
    prefix,
    serializer: options.flask ?? "msgpack",
    lifetime: LIFETIME_S,
  });
  const store = redisStore({
    client: options.client ?? nodeRedis,
    prefix,
    layout: "flask-session",
    serializer: options.tessera ?? "msgpack",
    userKey: "user",
  });
  try {
    await body({ flask, store, prefix });
  } finally {
    await store.close();
    await flask.stop();
    await deleteKeysUnder(address, prefix);
  }
}

interface FlaskAnswer {
  readonly sid: string;
  readonly permanent: boolean;
  readonly data: Typed;
}

/** A request to the Flask app with the session cookie `cookie`; the cookie it sets, if any. */
async function call(
  flask: FlaskSessionApp,
  path: string,
  options: { cookie?: string; body?: unknown } = {},
): Promise<{ answer: FlaskAnswer; cookie: string | undefined; setCookie: string[] }> {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers.cookie = `session=${options.cookie}`;
  const response = await fetch(`${flask.url}${path}`, {
    method: options.body === undefined ? "GET" : "POST",
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const setCookie = response.headers.getSetCookie();
  const session = setCookie.find((line) => line.startsWith("session="));
  const cookie = session?.slice("session=".length).split(";")[0];
  return { answer: (await response.json()) as FlaskAnswer, cookie, setCookie };
}

const fresh = () => ({ createdAt: Date.now(), expiresAt: Date.now() + LIFETIME_S * 1000 });

/** What the Flask side logs in with: nested dicts and lists, ints, floats, text, bytes, a date. */
const FLASK_LOGIN = `{
  "user": "ada",
  "roles": ["admin", "dev"],
  "prefs": {"theme": "dark", "nested": {"n": 1, "list": [1, 2.5, None, True]}},
  "count": 42, "negative": -70000, "ratio": 0.25, "whole": 3.0, "big": 2**60,
  "name": "Zoë 🍪 日本",
  "when": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
  "raw": b"\\x00\\xff",
  "pair": ("a", 1),
}`;

/** FLASK_LOGIN as tessera reads it from each serialization. */
function flaskLoginAsRead(serializer: Serializer): Record<string, unknown> {
  const common = {
    _permanent: true,
    user: "ada",
    roles: ["admin", "dev"],
    prefs: { theme: "dark", nested: { n: 1, list: [1, 2.5, null, true] } },
    count: 42,
    negative: -70000,
    ratio: 0.25,
    whole: 3,
    big: 2n ** 60n,
    name: "Zoë 🍪 日本",
    pair: ["a", 1],
  };
  return serializer === "msgpack"
    ? { ...common, when: new Date("2024-01-02T03:04:05.678Z"), raw: Buffer.from([0, 255]) }
    : // msgspec's JSON holds a datetime and bytes as text
      { ...common, when: "2024-01-02T03:04:05.678000Z", raw: "AP8=" };
}

/** What tessera logs in with. */
const TESSERA_LOGIN = {
  user: "bob",
  cart: [{ sku: "A1", qty: 2, price: 9.95 }],
  total: new FlaskFloat(19),
  big: 2n ** 62n,
  name: "Ünïcødé ✓",
  when: new Date("2024-05-06T07:08:09.010Z"),
  raw: Buffer.from("hi"),
  nothing: null,
  yes: true,
};

/** TESSERA_LOGIN as Flask reads it from each serialization. */
function tesseraLoginAsRead(serializer: Serializer): Typed {
  return dict({
    user: str("bob"),
    cart: list(dict({ sku: str("A1"), qty: int(2), price: float("9.95") })),
    total: float("19.0"),
    big: int(2n ** 62n),
    name: str("Ünïcødé ✓"),
    when:
      serializer === "msgpack" ? utc("2024-05-06T07:08:09.010Z") : str("2024-05-06T07:08:09.010Z"),
    raw: serializer === "msgpack" ? bytes(Buffer.from("hi")) : str("aGk="),
    nothing: none,
    yes: bool(true),
  });
}

const CLIENTS: [string, RedisClientLike][] = [
  ["node-redis", nodeRedis],
  ["ioredis", ioredis],
];

for (const serializer of ["msgpack", "json"] as const) {
  describe(`Flask-Session (${serializer}) and tessera share sessions in Redis`, () => {
    for (const [library, client] of CLIENTS) {
      test(`a session Flask writes is read by tessera (${library})`, async () => {
        await withFlask(
          { flask: serializer, tessera: serializer, client },
          async ({ flask, store }) => {
            const { answer, cookie } = await call(flask, "/set", { body: { expr: FLASK_LOGIN } });
            assert.ok(cookie, "Flask sets its session cookie");
            // The cookie is the sid signed as Flask-Session signs it.
            assert.equal(cookie, signer.sign(answer.sid));
            assert.deepEqual(signer.unsign(cookie), { value: answer.sid, rotated: false });
            const record = await store.get(answer.sid);
            assert.ok(record, "tessera finds the record");
            assert.deepEqual(record.data, flaskLoginAsRead(serializer));
            const remaining = record.expiresAt - Date.now();
            assert.ok(
              Math.abs(remaining - LIFETIME_S * 1000) < 5_000,
              `TTL ${remaining} ms is PERMANENT_SESSION_LIFETIME`,
            );
          },
        );
      });

      test(`a session tessera writes is read by Flask (${library})`, async () => {
        await withFlask(
          { flask: serializer, tessera: serializer, client },
          async ({ flask, store }) => {
            const id = newId();
            assert.equal(
              // The engine writes `_permanent` into every record it creates for format "flask-session".
              await store.apply(id, setPatch({ _permanent: true, ...TESSERA_LOGIN }), {
                ...fresh(),
                mustExist: false,
              }),
              true,
            );
            const { answer } = await call(flask, "/show", { cookie: signer.sign(id) });
            assert.equal(answer.sid, id, "Flask opens the session tessera wrote");
            assert.equal(
              answer.permanent,
              true,
              "a session tessera creates is permanent, as Flask-Session's",
            );
            assert.deepEqual(answer.data, tesseraLoginAsRead(serializer));
            // Flask signs ids as tessera does.
            const signed = await fetch(`${flask.url}/sign?value=${id}`).then((r) => r.json());
            assert.deepEqual(signed, { signed: signer.sign(id) });
          },
        );
      });
    }

    test("changes from each side land in the other, and neither loses the other's keys", async () => {
      await withFlask({ flask: serializer, tessera: serializer }, async ({ flask, store }) => {
        const login = await call(flask, "/set", { body: { expr: '{"user": "ada", "step": 1}' } });
        const sid = login.answer.sid;
        const cookie = login.cookie as string;
        await store.apply(sid, setPatch({ cart: [1, 2], step: 2 }), {
          ...fresh(),
          mustExist: true,
        });
        const seen = await call(flask, "/set", {
          cookie,
          body: { expr: '{"theme": "dark"}', delete: ["cart"] },
        });
        assert.deepEqual(
          seen.answer.data,
          dict({ user: str("ada"), step: int(2), theme: str("dark") }),
        );
        assert.deepEqual((await store.get(sid))?.data, {
          _permanent: true,
          user: "ada",
          step: 2,
          theme: "dark",
        });
      });
    });

    test("regenerate in Flask moves the session; tessera finds it under the new id only", async () => {
      await withFlask({ flask: serializer, tessera: serializer }, async ({ flask, store }) => {
        const login = await call(flask, "/set", { body: { expr: '{"user": "ada"}' } });
        const moved = await call(flask, "/regenerate", {
          cookie: login.cookie as string,
          body: {},
        });
        assert.notEqual(moved.answer.sid, login.answer.sid);
        assert.equal(moved.cookie, signer.sign(moved.answer.sid));
        assert.equal(await store.get(login.answer.sid), undefined);
        assert.deepEqual((await store.get(moved.answer.sid))?.data, {
          _permanent: true,
          user: "ada",
        });
      });
    });

    test("regenerate in tessera moves the session; Flask finds it under the new id only", async () => {
      await withFlask({ flask: serializer, tessera: serializer }, async ({ flask, store }) => {
        const login = await call(flask, "/set", { body: { expr: '{"user": "ada"}' } });
        const toId = newId();
        const renamed = await store.rename(login.answer.sid, toId, {
          patch: setPatch({ csrf: "new" }),
          expiresAt: Date.now() + MINUTE,
        });
        assert.equal(renamed, true);
        const moved = await call(flask, "/show", { cookie: signer.sign(toId) });
        assert.equal(moved.answer.sid, toId);
        assert.deepEqual(moved.answer.data, dict({ user: str("ada"), csrf: str("new") }));
        const old = await call(flask, "/show", { cookie: login.cookie as string });
        assert.notEqual(old.answer.sid, login.answer.sid, "the old id is a fresh, empty session");
        assert.deepEqual(old.answer.data, dict({}));
      });
    });

    test("logout on either side ends the session for both", async () => {
      await withFlask({ flask: serializer, tessera: serializer }, async ({ flask, store }) => {
        // Flask's logout: session.clear() leaves only _permanent, so the record is deleted.
        const first = await call(flask, "/set", { body: { expr: '{"user": "ada"}' } });
        const out = await call(flask, "/set", {
          cookie: first.cookie as string,
          body: { clear: true },
        });
        assert.ok(
          out.setCookie.some((line) => /^session=;/.test(line)),
          "Flask deletes its cookie",
        );
        assert.equal(await store.get(first.answer.sid), undefined);
        // tessera's logout: destroy.
        const second = await call(flask, "/set", { body: { expr: '{"user": "bob"}' } });
        await store.destroy(second.answer.sid);
        const after = await call(flask, "/show", { cookie: second.cookie as string });
        assert.notEqual(after.answer.sid, second.answer.sid);
        assert.deepEqual(after.answer.data, dict({}));
      });
    });

    test("revokeUser in tessera ends the user's sessions Flask created, once tessera indexed them", async () => {
      await withFlask({ flask: serializer, tessera: serializer }, async ({ flask, store }) => {
        const login = await call(flask, "/set", { body: { expr: '{"user": "ada"}' } });
        // tessera indexes the sessions it writes the user key into.
        await store.apply(login.answer.sid, setPatch({ user: "ada" }), {
          ...fresh(),
          mustExist: true,
        });
        assert.equal(await store.revokeUser("ada"), 1);
        const after = await call(flask, "/show", { cookie: login.cookie as string });
        assert.notEqual(after.answer.sid, login.answer.sid);
      });
    });
  });
}

describe("Flask-Session (msgpack) and tessera share a session holding what JSON cannot", () => {
  test("keys that are not text and an extension type: tessera reads the session, patches it, and Flask keeps them", async () => {
    await withFlask({}, async ({ flask, store }) => {
      const login = await call(flask, "/set", {
        body: {
          expr: `{"user": "ada", "cart": {42: 1, None: 2, 1.5: 3}, 7: "seven", 8: "eight", "ext": ExtType(5, b"xy")}`,
        },
      });
      const sid = login.answer.sid;
      // Before, such a record was no session to tessera, whose engine then dropped the cookie.
      const record = await store.get(sid);
      assert.ok(record, "tessera reads the session");
      assert.deepEqual(record.data, {
        _permanent: true,
        user: "ada",
        cart: { "42": 1, null: 2, "1.5": 3 },
        "7": "seven",
        "8": "eight",
        ext: new MsgpackExtension(5, Buffer.from("xy")),
      });
      // tessera sets the extension it read again, changes "7" and deletes "8".
      await store.apply(sid, setPatch({ ext: record.data.ext, "7": "changed", step: 2 }, ["8"]), {
        ...fresh(),
        mustExist: true,
      });
      const seen = await call(flask, "/show", { cookie: login.cookie as string });
      assert.equal(seen.answer.sid, sid, "Flask keeps the session");
      assert.deepEqual(
        seen.answer.data,
        pairs(
          ["user", str("ada")],
          ["cart", pairs([int(42), int(1)], [none, int(2)], [float("1.5"), int(3)])],
          // tessera's "7" is text: it takes the int key's place
          ["7", str("changed")],
          ["ext", ext(5, Buffer.from("xy"))],
          ["step", int(2)],
        ),
      );
    });
  });
});

describe("Flask-Session and tessera configured with different serializations", () => {
  test("each reads and patches the other's records, which keep their serialization", async () => {
    await withFlask({ flask: "msgpack", tessera: "json" }, async ({ flask, store, prefix }) => {
      const id = newId();
      await store.apply(id, setPatch({ _permanent: true, user: "ada", n: 1 }), {
        ...fresh(),
        mustExist: false,
      });
      assert.equal(
        await ioredis.get(`${prefix}${id}`),
        '{"_permanent":true,"user":"ada","n":1}',
        "tessera writes JSON",
      );
      // Flask-Session 0.8 falls back to its alternate decoder, reads it, and writes msgpack back.
      const seen = await call(flask, "/show", { cookie: signer.sign(id) });
      assert.deepEqual(seen.answer.data, dict({ user: str("ada"), n: int(1) }));
      const stored = await ioredis.getBuffer(`${prefix}${id}`);
      assert.equal(stored?.[0], 0x83, "Flask rewrote it as a MessagePack map of 3 entries");
      await store.apply(id, setPatch({ n: 2 }), { ...fresh(), mustExist: true });
      assert.deepEqual((await store.get(id))?.data, { _permanent: true, user: "ada", n: 2 });
      assert.equal(
        (await ioredis.getBuffer(`${prefix}${id}`))?.[0],
        0x83,
        "and it stays MessagePack",
      );
    });
  });
});
