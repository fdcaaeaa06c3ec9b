/**
 * The PostgreSQL store with `layout: "flask-session"` against the real server at DATABASE_URL:
 * the conformance suite through a pg Pool, postgres.js and PgBouncer in transaction mode, in
 * both serializations; the table as SQLAlchemy makes it for Flask-Session's model; the row as
 * Flask-Session writes it (session_id, the bytes, a naive UTC expiry, `_permanent`); values it
 * did not change kept byte for byte; repeated keys; records in the other serialization; rows it
 * cannot read; writers that race; other prefixes; and the configuration it refuses.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import pg from "pg";
import postgres from "postgres";
import { FlaskFloat } from "../../src/codecs/flask/index.ts";
import { decodeMsgpack, encodeMsgpack, MsgpackExtension } from "../../src/codecs/msgpack/index.ts";
import { ConfigError, SessionValueError, StoreUnavailableError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import {
  type PostgresStore,
  type PostgresStoreOptions,
  postgresStore,
  postgresTableDdl,
} from "../../src/stores/postgres/index.ts";
import {
  hostileRecords,
  mp,
  NON_TEXT_KEYS,
  pythonRecord,
  rawMap,
  UNREADABLE_RECORDS,
} from "../support/flask-session-records.ts";
import { newId, setPatch } from "../support/patches.ts";
import { databaseUrl, sql, testPool, uniqueTable } from "../support/postgres.ts";
import { startPgBouncer } from "../support/postgres-server.ts";
import { PYTHON } from "../support/python-oracle.ts";

const MINUTE = 60_000;
const pool = testPool();
const porsager = postgres(databaseUrl(), { max: 3, onnotice: () => {} });
const bouncer = await startPgBouncer({ port: Number(new URL(databaseUrl()).port || 5432) });
const bounced = new pg.Pool({ connectionString: bouncer.url, max: 5 });
const tables: string[] = [];

after(async () => {
  try {
    for (const name of tables) await sql(`DROP TABLE IF EXISTS ${name}`);
  } finally {
    // Whatever happened above, nothing may keep the test process alive.
    await porsager.end();
    await pool.end();
    await bounced.end();
    await bouncer.stop();
  }
});

function table(label: string): string {
  const name = uniqueTable(`fs_${label.replaceAll("-", "_")}`);
  tables.push(name);
  return name;
}

const CLIENTS = [
  ["pg Pool", pool],
  ["postgres.js", porsager],
  ["PgBouncer transaction mode", bounced],
] as const;

for (const serializer of ["msgpack", "json"] as const) {
  for (const [library, client] of CLIENTS) {
    const name = table(`conf_${serializer}`);
    runStoreConformance(
      `postgres flask-session ${serializer} (${library})`,
      () => postgresStore({ client, table: name, layout: "flask-session", serializer }),
      { keepsCreatedAt: false, storesBigInt: true },
    );
  }
}

type Options = Partial<PostgresStoreOptions>;

/**
 * A flask-session store on a fresh table (pg Pool unless another client is given), once its
 * table exists (unless createTable is false).
 */
async function flaskStore(label: string, options: Options = {}): Promise<PostgresStore> {
  const store = postgresStore({
    client: pool,
    table: table(label),
    layout: "flask-session",
    ...options,
  });
  if (options.createTable !== false) await store.get(newId());
  return store;
}

const fresh = () => ({ createdAt: Date.now(), expiresAt: Date.now() + 31 * 24 * 60 * MINUTE });

/** The stored row of `id` under the default prefix, data as bytes and expiry as ISO text. */
async function rowOf(
  store: PostgresStore,
  id: string,
  prefix = "session:",
): Promise<{ data: Buffer | null; expiry: string | null } | undefined> {
  const { rows } = await sql(
    `SELECT data, to_char(expiry, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expiry FROM ${store.table} WHERE session_id = $1`,
    [prefix + id],
  );
  return rows[0];
}

/** Writes a row as another program (Flask) would: `data` as bytes, expiring in `seconds`. */
async function putRow(
  store: PostgresStore,
  id: string,
  data: Buffer | string | null,
  seconds: number | null = 60,
  prefix = "session:",
): Promise<void> {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  await sql(
    `INSERT INTO ${store.table} (session_id, data, expiry)
     VALUES ($1, $2, CASE WHEN $3::float8 IS NULL THEN NULL
       ELSE (now() AT TIME ZONE 'UTC') + make_interval(secs => $3::float8) END)
     ON CONFLICT (session_id) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`,
    [prefix + id, bytes, seconds],
  );
}

async function dataBytes(store: PostgresStore, id: string): Promise<string | undefined> {
  return (await rowOf(store, id))?.data?.toString("hex");
}

describe("postgres flask-session: the table is Flask-Session's", () => {
  test("the store creates the table SQLAlchemy creates for Flask-Session's model", async () => {
    // Flask-Session 0.8 flask_session/sqlalchemy/sqlalchemy.py lines 20-43 (create_session_model)
    // and 111-112 (__table__.create(bind=engine, checkfirst=True)), on Debian's SQLAlchemy.
    const theirs = table("sqlalchemy");
    execFileSync(PYTHON, [
      "-c",
      `import sys
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, create_engine
engine = create_engine(sys.argv[1])
metadata = MetaData()
model = Table(sys.argv[2], metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", String(255), unique=True),
    Column("data", LargeBinary),
    Column("expiry", DateTime))
model.create(bind=engine, checkfirst=True)`,
      databaseUrl().replace(/^postgres:/, "postgresql:"),
      theirs,
    ]);
    const store = await flaskStore("ours");
    await store.apply(newId(), setPatch({ a: 1 }), { ...fresh(), mustExist: false });
    const describe = async (name: string) => {
      const columns = await sql(
        `SELECT column_name, data_type, character_maximum_length, is_nullable,
           replace(column_default, $1, 'T') AS column_default
         FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
        [name],
      );
      const constraints = await sql(
        `SELECT c.contype, array_agg(a.attname::text ORDER BY a.attname) AS columns
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.conrelid = $1::regclass GROUP BY c.oid, c.contype ORDER BY c.contype`,
        [name],
      );
      return { columns: columns.rows, constraints: constraints.rows };
    };
    const ours = await describe(store.table.replaceAll('"', ""));
    assert.deepEqual(ours, await describe(theirs));
    assert.deepEqual(
      ours.columns.map((c) => [c.column_name, c.data_type]),
      [
        ["id", "integer"],
        ["session_id", "character varying"],
        ["data", "bytea"],
        ["expiry", "timestamp without time zone"],
      ],
    );
    await store.close();
  });

  test("a row is session:<id>, the dict as msgspec MessagePack, and a naive UTC expiry, whatever the connection's time zone", async () => {
    const tokyo = testPool({ options: "-c TimeZone=Asia/Tokyo" });
    const store = postgresStore({ client: tokyo, table: table("row"), layout: "flask-session" });
    try {
      const id = newId();
      const expiresAt = Date.now() + 7 * 24 * 60 * MINUTE;
      const data = { _permanent: true, user: "ada", cart: [1, 2], score: new FlaskFloat(1) };
      await store.apply(id, setPatch(data), { createdAt: Date.now(), expiresAt, mustExist: false });
      const row = await rowOf(store, id);
      assert.equal(row?.data?.toString("hex"), mp(data));
      assert.equal(row?.expiry, new Date(expiresAt).toISOString());
      const record = await store.get(id);
      assert.deepEqual(record?.data, { _permanent: true, user: "ada", cart: [1, 2], score: 1 });
      assert.equal(record?.expiresAt, expiresAt);
      assert.ok(record && Math.abs(record.createdAt - Date.now()) < 2_000, "createdAt is now");
      assert.deepEqual(store.capabilities, { keepsCreatedAt: false, format: "flask-session" });
    } finally {
      await store.close();
      await tokyo.end();
    }
  });

  test("the default table is Flask-Session's: sessions", () => {
    const store = postgresStore({ client: pool, layout: "flask-session", sweepInterval: false });
    assert.equal(store.table, '"sessions"');
    return store.close();
  });

  test("serializer json writes msgspec's compact JSON", async () => {
    const store = await flaskStore("json", { serializer: "json" });
    const id = newId();
    await store.apply(
      id,
      setPatch({ user: "ädä", n: 2n ** 60n, f: new FlaskFloat(2), when: new Date(0) }),
      { ...fresh(), mustExist: false },
    );
    assert.equal(
      (await rowOf(store, id))?.data?.toString("utf8"),
      '{"user":"ädä","n":1152921504606846976,"f":2.0,"when":"1970-01-01T00:00:00.000Z"}',
    );
    await store.close();
  });

  test("a row Flask wrote reads with its expiry and keeps its _permanent: false", async () => {
    const store = await flaskStore("flask-row");
    const id = newId();
    await putRow(store, id, Buffer.from(encodeMsgpack({ _permanent: false, a: 1 })), 3600);
    const record = await store.get(id);
    assert.deepEqual(record?.data, { _permanent: false, a: 1 });
    assert.ok(record && Math.abs(record.expiresAt - (Date.now() + 3_600_000)) < 5_000);
    await store.apply(id, setPatch({ b: 2 }), { ...fresh(), mustExist: true });
    assert.deepEqual(decodeMsgpack((await rowOf(store, id))?.data as Buffer), {
      _permanent: false,
      a: 1,
      b: 2,
    });
    await store.close();
  });

  test("clear keeps _permanent, as Flask-Session's clear() does", async () => {
    const store = await flaskStore("clear");
    const id = newId();
    await store.apply(id, setPatch({ _permanent: true, a: 1 }), { ...fresh(), mustExist: false });
    await store.apply(id, setPatch({ b: 2 }, [], true), { ...fresh(), mustExist: true });
    assert.equal(await dataBytes(store, id), mp({ _permanent: true, b: 2 }));
    await store.close();
  });

  test("an expiry beyond Python's datetime is stored as 9999-12-31, which Flask can read", async () => {
    const store = await flaskStore("far");
    const id = newId();
    await store.apply(id, setPatch({ a: 1 }), {
      createdAt: Date.now(),
      expiresAt: Number.MAX_SAFE_INTEGER,
      mustExist: false,
    });
    assert.equal((await rowOf(store, id))?.expiry, "9999-12-31T23:59:59.999Z");
    assert.deepEqual((await store.get(id))?.data, { a: 1 });
    await store.close();
  });

  test("a value JSON cannot hold at the top deletes its key; nested, it is refused naming the key", async () => {
    const store = await flaskStore("unstorable");
    const id = newId();
    await store.apply(id, setPatch({ a: 1, b: 2, c: 3 }), { ...fresh(), mustExist: false });
    await store.apply(id, setPatch({ a: undefined, b: () => 1, d: 4 }, ["c"]), {
      ...fresh(),
      mustExist: true,
    });
    assert.deepEqual((await store.get(id))?.data, { d: 4 });
    for (const mustExist of [true, false]) {
      await assert.rejects(
        store.apply(id, setPatch({ bad: { f: () => 1 } }), { ...fresh(), mustExist }),
        (error: unknown) => {
          assert.ok(error instanceof SessionValueError);
          assert.match(error.message, /key "bad".*a function at value\["f"\]/);
          return true;
        },
      );
    }
    assert.deepEqual((await store.get(id))?.data, { d: 4 });
    await store.close();
  });
});

describe("postgres flask-session: values it does not change stay byte for byte", () => {
  test("Python's float 1.0, a datetime to the microsecond and an unknown extension survive a patch", async () => {
    const store = await flaskStore("bytes");
    const id = newId();
    await putRow(store, id, Buffer.from(pythonRecord(), "hex"));
    await store.apply(id, setPatch({ added: "yes" }), { ...fresh(), mustExist: true });
    assert.equal(await dataBytes(store, id), pythonRecord(mp("added") + mp("yes")));
    const data = (await store.get(id))?.data;
    assert.deepEqual(data?.ext, new MsgpackExtension(5, Buffer.from("xy")));
    await store.apply(id, setPatch({ ext: data?.ext, added: "again" }), {
      ...fresh(),
      mustExist: true,
    });
    assert.equal(await dataBytes(store, id), pythonRecord(mp("added") + mp("again")));
    await store.close();
  });

  test("a changed key keeps its place; new keys go last; 16 entries take the wider header", async () => {
    const store = await flaskStore("order");
    const id = newId();
    await putRow(store, id, Buffer.from(encodeMsgpack({ a: 1, b: 2, c: 3 })));
    await store.apply(id, setPatch({ d: 4, b: 20 }, ["a"]), { ...fresh(), mustExist: true });
    assert.equal(await dataBytes(store, id), mp({ b: 20, c: 3, d: 4 }));
    const many = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`k${i}`, i]));
    await store.apply(id, setPatch(many), { ...fresh(), mustExist: true });
    assert.equal((await dataBytes(store, id))?.slice(0, 6), "de0010");
    assert.equal(await dataBytes(store, id), mp({ b: 20, c: 3, d: 4, ...many }));
    await store.close();
  });

  test("keys that are not text read as JSON names them, take patches by those names, and clear removes them all", async () => {
    const store = await flaskStore("keys");
    const id = newId();
    const { cart, bytesKey } = NON_TEXT_KEYS;
    await putRow(store, id, NON_TEXT_KEYS.record);
    assert.deepEqual((await store.get(id))?.data, {
      _permanent: true,
      "42": "int",
      null: "none",
      cart: { "42": 1 },
      "1.5": "float",
    });
    await store.apply(id, setPatch({ "42": "changed", added: 1 }, ["null", "1.5"]), {
      ...fresh(),
      mustExist: true,
    });
    assert.equal(
      await dataBytes(store, id),
      `85${mp("_permanent")}c3${mp("42")}${mp("changed")}${cart}${bytesKey}${mp("added")}01`,
    );
    await store.apply(id, setPatch({ b: 1 }, [], true), { ...fresh(), mustExist: true });
    assert.equal(await dataBytes(store, id), `82${mp("_permanent")}c3${mp("b")}01`);
    await store.close();
  });

  test("a key stored twice reads as its last entry; a set writes it once in the first place, a delete drops all", async () => {
    const store = await flaskStore("twice");
    const id = newId();
    await putRow(store, id, '{"role":"user","x":1,"role":"admin","y":[1],"y":[2]}');
    assert.deepEqual((await store.get(id))?.data, { role: "admin", x: 1, y: [2] });
    await store.apply(id, setPatch({ role: "owner" }), { ...fresh(), mustExist: true });
    assert.equal(
      (await rowOf(store, id))?.data?.toString(),
      '{"role":"owner","x":1,"y":[1],"y":[2]}',
    );
    await putRow(store, id, '{"role":"user","x":1,"role":"admin"}');
    await store.apply(id, setPatch({}, ["role"]), { ...fresh(), mustExist: true });
    assert.equal((await rowOf(store, id))?.data?.toString(), '{"x":1}');

    const other = newId();
    await putRow(
      store,
      other,
      rawMap(
        [mp("role"), mp("user")],
        [mp("x"), "01"],
        [mp("role"), mp("admin")],
        ["2a", mp("int")],
        [mp("42"), mp("text")],
      ),
    );
    assert.deepEqual((await store.get(other))?.data, { role: "admin", x: 1, "42": "text" });
    await store.apply(other, setPatch({ "42": "one" }, ["role"]), { ...fresh(), mustExist: true });
    assert.equal(
      await dataBytes(store, other),
      rawMap([mp("x"), "01"], [mp("42"), mp("one")]).toString("hex"),
    );
    await store.close();
  });
});

describe("postgres flask-session: records in the other serialization", () => {
  test("a msgpack store reads, patches and moves a JSON record, which stays JSON", async () => {
    const store = await flaskStore("other-json");
    const id = newId();
    await putRow(store, id, '{"_permanent": true, "user": "ada", "n": 1.0}');
    assert.deepEqual((await store.get(id))?.data, { _permanent: true, user: "ada", n: 1 });
    await store.apply(id, setPatch({ cart: [1] }), { ...fresh(), mustExist: true });
    assert.equal(
      (await rowOf(store, id))?.data?.toString(),
      '{"_permanent":true,"user":"ada","n":1.0,"cart":[1]}',
    );
    const toId = newId();
    const moved = await store.rename(id, toId, {
      patch: setPatch({ more: true }),
      expiresAt: Date.now() + MINUTE,
    });
    assert.equal(moved, true);
    assert.equal(
      (await rowOf(store, toId))?.data?.toString(),
      '{"_permanent":true,"user":"ada","n":1.0,"cart":[1],"more":true}',
    );
    assert.equal(await rowOf(store, id), undefined);
    await store.close();
  });

  test("a json store patches a MessagePack record, which stays MessagePack", async () => {
    const store = await flaskStore("other-msgpack", { serializer: "json" });
    const id = newId();
    await putRow(store, id, Buffer.from(encodeMsgpack({ user: "ada" })));
    await store.apply(id, setPatch({ cart: [1] }), { ...fresh(), mustExist: true });
    assert.equal(await dataBytes(store, id), mp({ user: "ada", cart: [1] }));
    await store.close();
  });
});

describe("postgres flask-session: rows it cannot read are no session", () => {
  test("pickle, garbage, a JSON list, broken JSON, bad UTF-8, trailing bytes, NULL data or expiry", async () => {
    const store = await flaskStore("unreadable");
    const rows: [string, Buffer | string | null, number | null][] = [
      ...UNREADABLE_RECORDS.map(([name, data]): [string, Buffer | string, number] => [
        name,
        data,
        60,
      ]),
      ["JSON that is not UTF-8", Buffer.from('{"a": "\xff"}', "latin1"), 60],
      ["NULL data", null, 60],
      [
        "NULL expiry (Flask-Session deletes it on read)",
        Buffer.from(encodeMsgpack({ a: 1 })),
        null,
      ],
    ];
    for (const [name, data, seconds] of rows) {
      const id = newId();
      await putRow(store, id, data, seconds);
      assert.equal(await store.get(id), undefined, name);
      const written = await store.apply(id, setPatch({ b: 1 }), { ...fresh(), mustExist: true });
      assert.equal(written, false, `${name}: a late write finds no session there`);
      assert.equal(
        await store.rename(id, newId(), { patch: setPatch({}), expiresAt: Date.now() + MINUTE }),
        false,
        `${name}: nothing to move`,
      );
      assert.equal(
        await store.apply(id, setPatch({ fresh: true }), { ...fresh(), mustExist: false }),
        true,
      );
      assert.deepEqual((await store.get(id))?.data, { fresh: true }, `${name}: replaced`);
    }
    await store.close();
  });

  test("hostile stored bytes never make a call fail", async () => {
    const store = await flaskStore("hostile");
    await fc.assert(
      fc.asyncProperty(hostileRecords, async (value) => {
        const id = newId();
        await putRow(store, id, value);
        const record = await store.get(id);
        if (record !== undefined) assert.equal(typeof record.data, "object");
        const written = await store.apply(id, setPatch({ b: 1 }), { ...fresh(), mustExist: true });
        // A record tessera reads is always one it can patch, and the patch keeps the rest.
        assert.equal(written, record !== undefined);
        if (record !== undefined) {
          assert.deepEqual((await store.get(id))?.data, { ...record.data, b: 1 });
        }
        await store.rename(id, newId(), { patch: setPatch({}), expiresAt: Date.now() + MINUTE });
      }),
      { numRuns: 200 },
    );
    await store.close();
  });
});

describe("postgres flask-session: writers that race", () => {
  test("writes from several processes (stores) to one session all land", async () => {
    const name = table("race");
    const stores = [pool, porsager, bounced, pool, porsager].map((client) =>
      postgresStore({ client, table: name, layout: "flask-session", timeout: "20s" }),
    );
    const id = newId();
    await stores[0]?.apply(id, setPatch({ start: true }), { ...fresh(), mustExist: false });
    const keys = Array.from({ length: 60 }, (_, index) => `key${index}`);
    const results = await Promise.all(
      keys.map((key, index) =>
        stores[index % stores.length]?.apply(id, setPatch({ [key]: index }), {
          ...fresh(),
          mustExist: true,
        }),
      ),
    );
    assert.ok(results.every((result) => result === true));
    const expected: Record<string, unknown> = { start: true };
    keys.forEach((key, index) => {
      expected[key] = index;
    });
    assert.deepEqual((await stores[1]?.get(id))?.data, expected);
    await Promise.all(stores.map((store) => store.close()));
  });

  test("a rename racing a write from another process moves the written data, or finds the source gone", async () => {
    const name = table("rename-race");
    const [a, b] = [pool, porsager].map((client) =>
      postgresStore({ client, table: name, layout: "flask-session", timeout: "20s" }),
    ) as [PostgresStore, PostgresStore];
    for (let round = 0; round < 20; round++) {
      const id = newId();
      await a.apply(id, setPatch({ user: "ada" }), { ...fresh(), mustExist: false });
      const toId = newId();
      const [written, moved] = await Promise.all([
        b.apply(id, setPatch({ [`n${round}`]: round }), { ...fresh(), mustExist: true }),
        a.rename(id, toId, { patch: setPatch({ csrf: "x" }), expiresAt: Date.now() + MINUTE }),
      ]);
      assert.equal(moved, true);
      const data = (await a.get(toId))?.data;
      // The write landed before the move (and moved with it), or found the session moved.
      if (written) assert.deepEqual(data, { user: "ada", [`n${round}`]: round, csrf: "x" });
      else assert.deepEqual(data, { user: "ada", csrf: "x" });
      assert.equal(await a.get(id), undefined);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test("a write stuck on its connection holds up the session's next write for a second at most", async () => {
    const name = table("stuck-turn");
    let stall: ((release: () => void) => void) | undefined;
    // The real pool, with one query held back on its way, as on a connection that hangs.
    const stalling = {
      get idleCount() {
        return pool.idleCount;
      },
      on: pool.on.bind(pool),
      removeListener: pool.removeListener.bind(pool),
      async query(config: { text: string; values?: unknown[] }) {
        const hold = stall;
        if (hold !== undefined && config.text.startsWith("SELECT")) {
          stall = undefined;
          await new Promise<void>((release) => hold(release));
        }
        return pool.query(config);
      },
    };
    const store = postgresStore({ client: stalling, table: name, layout: "flask-session" });
    const id = newId();
    await store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false });
    let release: () => void = () => {};
    stall = (r) => {
      release = r;
    };
    const first = store.apply(id, setPatch({ b: 2 }), { ...fresh(), mustExist: true });
    const started = Date.now();
    assert.equal(await store.apply(id, setPatch({ c: 3 }), { ...fresh(), mustExist: true }), true);
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 1_900, `the second write waited ${waited} ms`);
    release();
    assert.equal(await first, true);
    assert.deepEqual((await store.get(id))?.data, { a: 1, b: 2, c: 3 });
    await store.close();
  });

  test("a row every swap misses ends in a 503 naming the record, after a bounded number of tries", async () => {
    const store = await flaskStore("stuck", { timeout: "60s" });
    const id = newId();
    await store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false });
    // A trigger that drops every update stands for writers that always get there first.
    const trigger = `${store.table.slice(1, -1)}_skip`;
    await sql(
      `CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
    );
    try {
      await sql(
        `CREATE TRIGGER ${trigger} BEFORE UPDATE ON ${store.table} FOR EACH ROW EXECUTE FUNCTION ${trigger}()`,
      );
      await assert.rejects(
        store.apply(id, setPatch({ b: 2 }), { ...fresh(), mustExist: true }),
        (error: unknown) => {
          assert.ok(
            error instanceof Error && error.name === "StoreUnavailableError",
            String(error),
          );
          assert.match(
            error.message,
            /"session:[\w-]{43}" was rewritten by other requests 100 times/,
          );
          assert.match(error.message, /tried again/);
          return true;
        },
      );
      assert.deepEqual((await store.get(id))?.data, { a: 1 });
    } finally {
      await sql(`DROP TABLE ${store.table}`);
      await sql(`DROP FUNCTION ${trigger}()`);
      await store.close();
    }
  });
});

describe("postgres flask-session: the key prefix", () => {
  test("session_id is prefix + id; rows under other prefixes are not read, listed or swept", async () => {
    const name = table("prefix");
    const mine = postgresStore({
      client: pool,
      table: name,
      layout: "flask-session",
      prefix: "app:",
    });
    const theirs = postgresStore({ client: pool, table: name, layout: "flask-session" });
    const id = newId();
    await mine.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false });
    assert.ok(await rowOf(mine, id, "app:"));
    assert.equal(await theirs.get(id), undefined);
    const other = newId();
    await theirs.apply(other, setPatch({ b: 1 }), { ...fresh(), mustExist: false });
    await putRow(theirs, newId(), Buffer.from(encodeMsgpack({ old: 1 })), -60);
    await putRow(mine, newId(), Buffer.from(encodeMsgpack({ old: 1 })), -60, "app:");
    await putRow(mine, newId(), Buffer.from(encodeMsgpack({ old: 1 })), null, "app:");
    const listed: string[] = [];
    for await (const summary of mine.list()) listed.push(summary.id);
    assert.deepEqual(listed, [id]);
    assert.equal(await mine.purgeExpired(), 2, "its expired row and its row with no expiry");
    assert.equal(await theirs.purgeExpired(), 1);
    await Promise.all([mine.close(), theirs.close()]);
  });

  test("list pages through many sessions in id order", async () => {
    const store = await flaskStore("pages");
    const ids = Array.from({ length: 450 }, () => newId());
    await Promise.all(
      ids.map((id) => store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false })),
    );
    const listed: string[] = [];
    for await (const summary of store.list()) listed.push(summary.id);
    assert.deepEqual(
      listed,
      [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
    );
    await store.close();
  });
});

describe("postgres flask-session: setup", () => {
  test("postgresTableDdl({ layout }) gives the table for createTable: false, schema-qualified too", async () => {
    const schema = uniqueTable("fs_schema");
    await sql(`CREATE SCHEMA ${schema}`);
    try {
      const ddl = postgresTableDdl({ table: `${schema}.sessions`, layout: "flask-session" });
      assert.match(ddl, /session_id VARCHAR\(255\)/);
      await sql(ddl);
      const store = postgresStore({
        client: pool,
        table: `${schema}.sessions`,
        layout: "flask-session",
        createTable: false,
      });
      const id = newId();
      await store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false });
      assert.deepEqual((await store.get(id))?.data, { a: 1 });
      await store.close();
      assert.match(postgresTableDdl({ layout: "flask-session" }), /"sessions"/);
      assert.match(postgresTableDdl(), /"tessera_sessions"/);
    } finally {
      await sql(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  test("a table made with SESSION_SQLALCHEMY_SEQUENCE: the 503 says how to give id its default, which then works", async () => {
    const name = table("sequence");
    // What SQLAlchemy emits for the model with Sequence(name) (its INSERTs name the sequence).
    await sql(`CREATE SEQUENCE ${name}_seq`);
    await sql(`CREATE TABLE ${name} (
      id INTEGER NOT NULL, session_id VARCHAR(255), data BYTEA, expiry TIMESTAMP WITHOUT TIME ZONE,
      PRIMARY KEY (id), UNIQUE (session_id))`);
    const store = postgresStore({
      client: pool,
      table: name,
      layout: "flask-session",
      createTable: false,
    });
    try {
      const id = newId();
      await assert.rejects(
        store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false }),
        (error: unknown) => {
          assert.ok(error instanceof StoreUnavailableError, String(error));
          assert.match(error.message, /has no default for its id column/);
          assert.match(error.message, /ALTER TABLE \S+ ALTER COLUMN id SET DEFAULT nextval/);
          return true;
        },
      );
      await sql(`ALTER TABLE ${name} ALTER COLUMN id SET DEFAULT nextval('${name}_seq')`);
      await store.apply(id, setPatch({ a: 1 }), { ...fresh(), mustExist: false });
      assert.deepEqual((await store.get(id))?.data, { a: 1 });
    } finally {
      await store.close();
      await sql(`DROP TABLE ${name}`);
      await sql(`DROP SEQUENCE ${name}_seq`);
    }
  });

  test("with createTable: false and no table, the 503 names the statements to run", async () => {
    const store = await flaskStore("missing", { createTable: false });
    await assert.rejects(store.get(newId()), /postgresTableDdl\(\{ layout: "flask-session" \}\)/);
    await store.close();
  });

  test("configuration mistakes are clear at startup", () => {
    const base = { client: pool, sweepInterval: false } as const;
    const cases: [Options, RegExp][] = [
      [
        { layout: "flask-session", userKey: "user" },
        /userKey cannot be used with layout "flask-session".*no column for the user/,
      ],
      [{ prefix: "app:" }, /prefix is an option of layout "flask-session"/],
      [{ serializer: "json" }, /serializer is an option of layout "flask-session"/],
      [
        { layout: "flask" as never },
        /layout must be "tessera" \(the default\) or "flask-session"; got "flask"/,
      ],
      [
        { layout: "flask-session", serializer: "pickle" as never },
        /serializer must be "msgpack".*got "pickle"/,
      ],
      [
        { layout: "flask-session", prefix: "x".repeat(213) },
        /prefix must be a string of at most 212 characters/,
      ],
      [{ layout: "flask-session", prefix: 7 as never }, /prefix must be a string.*got 7/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => postgresStore({ ...base, ...options }), ConfigError);
      assert.throws(() => postgresStore({ ...base, ...options }), message);
    }
  });
});
