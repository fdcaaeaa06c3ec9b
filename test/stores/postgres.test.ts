/**
 * The PostgreSQL store against the real server at DATABASE_URL: the conformance suite through a
 * pg Pool, a pg Client and postgres.js; the table as psql sees it; one statement per write;
 * values jsonb cannot hold; the per-user index; table names and creation; the sweep.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, test } from "node:test";
import pg from "pg";
import postgres from "postgres";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions } from "../../src/engine/manager.ts";
import { ConfigError, SessionValueError, StoreUnavailableError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import {
  type PostgresStore,
  postgresStore,
  postgresTableDdl,
} from "../../src/stores/postgres/index.ts";
import { listenNode } from "../runtimes/listen.ts";
import { CookieClient } from "../support/client.ts";
import { newId, setPatch } from "../support/patches.ts";
import { databaseUrl, sql, testPool, uniqueTable } from "../support/postgres.ts";

const MINUTE = 60_000;
const pool = testPool();
const client = new pg.Client({ connectionString: databaseUrl() });
await client.connect();
const porsager = postgres(databaseUrl(), { max: 3, onnotice: () => {} });
const tables: string[] = [];

after(async () => {
  for (const table of tables) await sql(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
  await porsager.end();
  await pool.end();
});

function table(label: string): string {
  const name = uniqueTable(label);
  tables.push(name);
  return name;
}

const poolTable = table("pool");
runStoreConformance("postgres (pg Pool)", () => postgresStore({ client: pool, table: poolTable }));
const clientTable = table("client");
runStoreConformance("postgres (pg Client)", () => postgresStore({ client, table: clientTable }));
const porsagerTable = table("porsager");
runStoreConformance("postgres (postgres.js)", () =>
  postgresStore({ client: porsager, table: porsagerTable }),
);

describe("postgres store over HTTP", () => {
  for (const [label, driver] of [
    ["pg Pool", pool],
    ["postgres.js", porsager],
  ] as const) {
    test(`50 concurrent requests that each set a different key keep all 50 (${label})`, async () => {
      const sessions = createSessions({
        secret: "postgres-store-http-secret-0123456789abcdef",
        store: postgresStore({ client: driver, table: table("http"), sweepInterval: false }),
      });
      const server = createServer(
        withSessions(sessions, async (req, res, { session }) => {
          const s = await session();
          const url = new URL(req.url ?? "/", "http://app");
          if (url.pathname === "/set") s.set(url.searchParams.get("key") ?? "", true);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(Object.keys(s.toJSON()).sort()));
        }),
      );
      const listening = await listenNode(server);
      try {
        const browser = new CookieClient(listening.url);
        await browser.post("/set?key=start");
        const cookie = `session=${browser.jar.get("session")}`;
        const keys = Array.from({ length: 50 }, (_, index) => `k${String(index).padStart(2, "0")}`);
        const answers = await Promise.all(
          keys.map((key) => fetch(`${listening.url}/set?key=${key}`, { headers: { cookie } })),
        );
        assert.deepEqual(
          answers.map((answer) => answer.status),
          keys.map(() => 200),
        );
        const read = await fetch(`${listening.url}/`, { headers: { cookie } });
        assert.deepEqual(await read.json(), [...keys, "start"]);
      } finally {
        await listening.close();
        await sessions.close();
      }
    });
  }
});

function createOn(store: PostgresStore, data: Record<string, unknown>, id = newId()) {
  const now = Date.now();
  return store
    .apply(id, setPatch(data), { createdAt: now, expiresAt: now + 10 * MINUTE, mustExist: false })
    .then(() => id);
}

describe("postgres store: the table", () => {
  test("a session is one row with its data as jsonb, readable in psql", async () => {
    const name = table("rows");
    const store = postgresStore({ client: pool, table: name });
    const id = await createOn(store, { user: "ada", cart: [1, 2] });
    const { rows } = await sql(
      `SELECT id, data, created_at, expires_at, user_id FROM ${name} WHERE id = $1`,
      [id],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].data, { user: "ada", cart: [1, 2] });
    assert.ok(rows[0].expires_at instanceof Date && rows[0].created_at instanceof Date);
    assert.equal(rows[0].user_id, null);
    await store.close();
  });

  test("the exported DDL makes the table the store uses with createTable: false", async () => {
    const name = table("ddl");
    const ddl = postgresTableDdl(name);
    assert.match(ddl, /CREATE TABLE IF NOT EXISTS/);
    const setup = new pg.Client({ connectionString: databaseUrl() });
    await setup.connect();
    await setup.query(ddl);
    await setup.end();
    const store = postgresStore({ client: pool, table: name, createTable: false });
    const id = await createOn(store, { a: 1 });
    assert.deepEqual((await store.get(id))?.data, { a: 1 });
    await store.close();
  });

  test("with createTable: false and no table, calls fail with a 503 that says what to do", async () => {
    const store = postgresStore({
      client: pool,
      table: uniqueTable("missing"),
      createTable: false,
    });
    await assert.rejects(store.get(newId()), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, /does not exist.*postgresTableDdl/);
      return true;
    });
    await store.close();
  });

  test("a schema-qualified table name works", async () => {
    const schema = uniqueTable("schema");
    await sql(`CREATE SCHEMA ${schema}`);
    try {
      const store = postgresStore({ client: pool, table: `${schema}.sessions` });
      const id = await createOn(store, { a: 1 });
      const { rows } = await sql(`SELECT data FROM ${schema}.sessions`);
      assert.deepEqual(rows[0]?.data, { a: 1 });
      assert.deepEqual((await store.get(id))?.data, { a: 1 });
      await store.close();
    } finally {
      await sql(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  test("bad table names are refused at startup", () => {
    for (const bad of ["", "a.b.c", 'x"; drop table y; --', "1abc", "a-b", "x".repeat(64)]) {
      assert.throws(() => postgresStore({ client: pool, table: bad }), ConfigError, bad);
    }
  });

  test("stores starting together on a new table all create it without error", async () => {
    const name = table("race");
    const stores = Array.from({ length: 6 }, () => postgresStore({ client: pool, table: name }));
    const ids = await Promise.all(stores.map((store) => createOn(store, { a: 1 })));
    assert.equal(ids.length, 6);
    await Promise.all(stores.map((store) => store.close()));
  });

  test("a dropped table is created again on the next call", async () => {
    const name = table("dropped");
    const store = postgresStore({ client: pool, table: name });
    await createOn(store, { a: 1 });
    await sql(`DROP TABLE ${name}`);
    await assert.rejects(store.get(newId()), StoreUnavailableError);
    const id = await createOn(store, { b: 2 });
    assert.deepEqual((await store.get(id))?.data, { b: 2 });
    await store.close();
  });
});

describe("postgres store: rows some other program wrote", () => {
  test("data that is not a JSON object is no session: reads skip it, writes replace it, list leaves it out", async () => {
    const name = table("foreign");
    const store = postgresStore({ client: pool, table: name });
    await createOn(store, { a: 1 });
    for (const foreign of ["[1, 2]", '"text"', "42", "null"]) {
      const id = newId();
      await sql(
        `INSERT INTO ${name} (id, data, created_at, expires_at) VALUES ($1, $2::jsonb, now(), now() + interval '1 hour')`,
        [id, foreign],
      );
      assert.equal(await store.get(id), undefined, foreign);
      const now = Date.now();
      const options = { createdAt: now, expiresAt: now + MINUTE };
      assert.equal(
        await store.apply(id, setPatch({ b: 2 }), { ...options, mustExist: true }),
        false,
      );
      assert.equal(await store.touch(id, now + MINUTE), undefined);
      assert.equal(
        await store.rename(id, newId(), { patch: setPatch({}), expiresAt: now + MINUTE }),
        false,
      );
      const listed: string[] = [];
      for await (const summary of store.list()) listed.push(summary.id);
      assert.equal(listed.includes(id), false, foreign);
      assert.equal(
        await store.apply(id, setPatch({ b: 2 }), { ...options, mustExist: false }),
        true,
      );
      assert.deepEqual((await store.get(id))?.data, { b: 2 }, "replaced, not merged into");
    }
    await store.close();
  });
});

describe("postgres store: values jsonb cannot hold", () => {
  for (const [label, value] of [
    ["U+0000", "before\u0000after"],
    ["a lone surrogate", "half \ud83c"],
  ] as const) {
    test(`a string with ${label} is refused with a SessionValueError naming the key, and nothing changes`, async () => {
      const store = postgresStore({ client: pool, table: poolTable });
      const id = await createOn(store, { kept: true });
      const now = Date.now();
      for (const mustExist of [true, false]) {
        await assert.rejects(
          store.apply(id, setPatch({ fine: 1, bad: { nested: [value] } }), {
            createdAt: now,
            expiresAt: now + MINUTE,
            mustExist,
          }),
          (error: unknown) => {
            assert.ok(error instanceof SessionValueError, String(error));
            assert.match(error.message, /"bad"/);
            assert.match(error.message, /jsonb cannot hold/);
            return true;
          },
        );
      }
      assert.deepEqual((await store.get(id))?.data, { kept: true });
      await store.close();
    });
  }
});

describe("postgres store: per-user index", () => {
  test("listByUser and revokeUser find the sessions whose userKey holds the user, as string or number", async () => {
    const store = postgresStore({ client: pool, table: table("users"), userKey: "userId" });
    const a = await createOn(store, { userId: 42 });
    const b = await createOn(store, { userId: "42" });
    const other = await createOn(store, { userId: 7 });
    const anonymous = await createOn(store, { cart: [] });
    const listed: string[] = [];
    for await (const summary of store.listByUser(42)) listed.push(summary.id);
    assert.deepEqual(listed.sort(), [a, b].sort());
    // Logging out (deleting the key) takes the session out of the index.
    const now = Date.now();
    await store.apply(b, setPatch({}, ["userId"]), {
      createdAt: now,
      expiresAt: now + MINUTE,
      mustExist: true,
    });
    assert.equal(await store.revokeUser("42"), 1);
    assert.equal(await store.get(a), undefined);
    assert.ok(await store.get(b));
    assert.ok(await store.get(other));
    assert.ok(await store.get(anonymous));
    assert.equal(store.capabilities.userIndex, true);
    await store.close();
  });

  test("without userKey, the per-user calls say which option they need", async () => {
    const store = postgresStore({ client: pool, table: poolTable });
    await assert.rejects(store.revokeUser(1), /userKey/);
    assert.equal(store.capabilities.userIndex, false);
    await store.close();
  });
});

describe("postgres store: purgeExpired", () => {
  test("deletes expired rows in batches, from several processes at once, and counts each once", async () => {
    const name = table("purge");
    const store = postgresStore({ client: pool, table: name });
    await createOn(store, { a: 1 });
    await sql(
      `INSERT INTO ${name} (id, data, created_at, expires_at)
       SELECT 'old' || g, '{}'::jsonb, now() - interval '1 hour', now() - interval '1 minute'
       FROM generate_series(1, 1200) g`,
    );
    const others = [
      postgresStore({ client: pool, table: name }),
      postgresStore({ client: porsager, table: name }),
    ];
    const counts = await Promise.all([
      store.purgeExpired(),
      ...others.map((s) => s.purgeExpired()),
    ]);
    assert.equal(
      counts.reduce((sum, count) => sum + count, 0),
      1200,
    );
    const { rows } = await sql(`SELECT count(*)::int AS n FROM ${name}`);
    assert.equal(rows[0]?.n, 1);
    await Promise.all([store.close(), ...others.map((s) => s.close())]);
  });
});

describe("postgres store: named statements", () => {
  /** The statements this connection has prepared, as PostgreSQL lists them. */
  const prepared = async (client: pg.Client) =>
    (await client.query("SELECT name FROM pg_prepared_statements ORDER BY name")).rows.map(
      (row: { name: string }) => row.name,
    );

  for (const prepare of [undefined, true, false] as const) {
    test(`prepare ${prepare === undefined ? "left out (true)" : String(prepare)}: the store's statements are ${prepare === false ? "unnamed" : "named, once per connection"}`, async () => {
      const client = new pg.Client({ connectionString: databaseUrl() });
      await client.connect();
      const store = postgresStore({
        client,
        table: uniqueTable("named"),
        sweepInterval: false,
        ...(prepare === undefined ? {} : { prepare }),
      });
      try {
        const id = newId();
        const now = Date.now();
        for (let round = 0; round < 3; round += 1) {
          await store.apply(id, setPatch({ n: round }), {
            createdAt: now,
            expiresAt: now + 60_000,
            mustExist: round > 0,
          });
          assert.deepEqual((await store.get(id))?.data, { n: round });
        }
        const names = await prepared(client);
        if (prepare === false) assert.deepEqual(names, []);
        else {
          assert.ok(names.length >= 2, `named statements: ${names.join(", ")}`);
          for (const name of names) assert.match(name, /^tessera_[\w-]{22}$/);
        }
      } finally {
        await store.close();
        await client.end();
      }
    });
  }

  test("a named statement outlives its table being dropped and made again", async () => {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    const table = uniqueTable("named_drop");
    const store = postgresStore({ client, table, sweepInterval: false });
    try {
      const id = newId();
      const now = Date.now();
      const options = { createdAt: now, expiresAt: now + 60_000, mustExist: false };
      await store.apply(id, setPatch({ a: 1 }), options);
      await client.query(`DROP TABLE ${table}`);
      // As with unnamed statements: the call that finds the table gone is a 503, the next
      // makes it again, and the statements named before the drop still run on the new table.
      await assert.rejects(store.get(id), StoreUnavailableError);
      assert.equal(await store.get(id), undefined);
      await store.apply(id, setPatch({ b: 2 }), options);
      assert.deepEqual((await store.get(id))?.data, { b: 2 });
    } finally {
      await store.close();
      await client.end();
    }
  });
});

describe("postgres store: configuration", () => {
  test("a client that is not a PostgreSQL client is refused", () => {
    // @ts-expect-error a connection string is not a client
    assert.throws(() => postgresStore({ client: databaseUrl() }), /not a connection string/);
    // @ts-expect-error an object with neither query() nor unsafe()
    assert.throws(() => postgresStore({ client: { get() {} } }), ConfigError);
    // @ts-expect-error no client
    assert.throws(() => postgresStore({}), ConfigError);
    assert.throws(() => postgresStore({ client: pool, userKey: "" }), ConfigError);
    assert.throws(() => postgresStore({ client: pool, timeout: 0 }), ConfigError);
    assert.throws(
      // @ts-expect-error prepare is a boolean
      () => postgresStore({ client: pool, prepare: "yes" }),
      /prepare must be true or false/,
    );
  });

  test("the jsonb table is for tessera's ids: format flask-session is refused, pointing at the layout", () => {
    const store = postgresStore({
      client: pool,
      table: uniqueTable("format"),
      sweepInterval: false,
    });
    const secret = "postgres-store-format-secret-0123456789";
    assert.throws(
      () => createSessions({ secret, format: "flask-session", store }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /postgresStore\(\{ client, layout: "flask-session" \}\)/.test(error.message),
    );
    assert.doesNotThrow(() => createSessions({ secret, store }));
  });
});
