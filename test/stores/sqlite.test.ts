import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import diagnostics from "node:diagnostics_channel";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { MAX_NESTING } from "../../src/codecs/nesting.ts";
import { sessionRefOf } from "../../src/diagnostics.ts";
import { ArgumentError, ConfigError, StoreUnavailableError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { SessionData, SessionPatch, SessionStore } from "../../src/stores/contract.ts";
import { type SqliteStore, sqliteStore } from "../../src/stores/sqlite.ts";
import { userExpression } from "../../src/stores/sqlite-users.ts";
import { setPatch } from "../support/patches.ts";

const tempDir = mkdtempSync(join(tmpdir(), "tessera-sqlite-"));
after(() => rmSync(tempDir, { recursive: true, force: true }));

let fileCounter = 0;
function tempFile(): string {
  fileCounter += 1;
  return join(tempDir, `run-${fileCounter}`, "sessions.db");
}

runStoreConformance("sqlite (:memory:)", () => sqliteStore({ path: ":memory:" }));
runStoreConformance("sqlite (file)", () => sqliteStore({ path: tempFile() }));

const HOUR = 3_600_000;
const TABLE = "tessera_sessions";

/** A value nested `depth` levels deep, past SQLite's JSON depth limit of 1000 when large. */
function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? [value] : { v: value };
  return value;
}

async function listedIds(store: SessionStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const { id } of store.list()) ids.push(id);
  return ids;
}

function write(
  store: SessionStore,
  id: string,
  data: Record<string, unknown>,
  expiresAt = Date.now() + HOUR,
) {
  return store.apply(id, setPatch(data), { createdAt: Date.now(), expiresAt, mustExist: false });
}

/** A second, raw connection to the file, to look at rows the way another program would. */
function raw(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

/** Adds `count` already-expired rows straight into the file, faster than through the store. */
function insertExpired(path: string, count: number): void {
  const db = raw(path);
  try {
    const insert = db.prepare(
      `INSERT INTO ${TABLE} (id, data, created_at, expires_at) VALUES (?, '{}', 1, ?)`,
    );
    db.exec("BEGIN");
    for (let index = 0; index < count; index += 1) insert.run(`old${index}`, Date.now() - 1);
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}

function rowCount(path: string, table = TABLE): number {
  const db = raw(path);
  try {
    return Number(db.prepare(`SELECT count(*) AS n FROM "${table}"`).get()?.n);
  } finally {
    db.close();
  }
}

describe("sqlite store", () => {
  test("sessions survive a restart, and the missing parent directory is created", async () => {
    const path = tempFile();
    const first = sqliteStore({ path });
    await write(first, "persist", { user: "ada", cart: [1, 2] });
    await first.close();

    const second = sqliteStore({ path });
    try {
      assert.deepEqual((await second.get("persist"))?.data, { user: "ada", cart: [1, 2] });
    } finally {
      await second.close();
    }
  });

  test("a database file it creates is readable by its owner only", async () => {
    const path = tempFile();
    const store = sqliteStore({ path });
    try {
      await write(store, "private", { user: "alice" });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
    } finally {
      await store.close();
    }
  });

  test("uses WAL journal mode on a file", async () => {
    const path = tempFile();
    const store = sqliteStore({ path });
    try {
      const db = raw(path);
      assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
      db.close();
    } finally {
      await store.close();
    }
  });

  test("a corrupt data value reads as no session and the next new write replaces it", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, sweepInterval: false });
    try {
      const garbage: Array<[string, string | Uint8Array]> = [
        ["not-json", "{not json"],
        ["array", "[1, 2]"],
        ["string", '"text"'],
        ["null", "null"],
        ["number", "42"],
        ["blob", new Uint8Array([0, 255, 1])],
      ];
      const db = raw(path);
      const insert = db.prepare(
        `INSERT INTO ${TABLE} (id, data, created_at, expires_at) VALUES (?, ?, 1, ?)`,
      );
      for (const [id, data] of garbage) insert.run(id, data, Date.now() + HOUR);
      db.close();

      const listed: string[] = [];
      for await (const { id } of store.list()) listed.push(id);
      assert.deepEqual(listed, [], "corrupt rows are not live sessions");

      for (const [id] of garbage) {
        assert.equal(await store.get(id), undefined, `get of the ${id} row`);
        const kept = await store.apply(id, setPatch({ a: 1 }), {
          createdAt: Date.now(),
          expiresAt: Date.now() + HOUR,
          mustExist: true,
        });
        assert.equal(kept, false, `apply with mustExist: true on the ${id} row`);
        await write(store, "rename-target", { target: true });
        const renamed = await store.rename(id, "rename-target", {
          patch: setPatch({ a: 1 }),
          expiresAt: Date.now() + HOUR,
        });
        assert.equal(renamed, false, `rename of the ${id} row`);
        assert.deepEqual((await store.get("rename-target"))?.data, { target: true });

        const createdAt = Date.now();
        await store.apply(id, setPatch({ fresh: id }), {
          createdAt,
          expiresAt: Date.now() + HOUR,
          mustExist: false,
        });
        const record = await store.get(id);
        assert.deepEqual(record?.data, { fresh: id }, `the ${id} row is replaced, not merged`);
        assert.equal(record?.createdAt, createdAt);
      }
    } finally {
      await store.close();
    }
  });

  test("two stores on one file see each other's writes", async () => {
    const path = tempFile();
    const a = sqliteStore({ path });
    const b = sqliteStore({ path });
    try {
      await write(a, "shared", { from: "a" });
      assert.deepEqual((await b.get("shared"))?.data, { from: "a" });
      const patches = Array.from({ length: 20 }, (_, index) =>
        (index % 2 === 0 ? a : b).apply("shared", setPatch({ [`k${index}`]: index }), {
          createdAt: Date.now(),
          expiresAt: Date.now() + HOUR,
          mustExist: true,
        }),
      );
      assert.ok((await Promise.all(patches)).every(Boolean));
      const data = (await a.get("shared"))?.data;
      assert.equal(Object.keys(data ?? {}).length, 21);
      await b.destroy("shared");
      assert.equal(await a.get("shared"), undefined);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("patches from two processes writing at once all land", async () => {
    const path = tempFile();
    const store = sqliteStore({ path });
    await write(store, "contended", {});
    const perProcess = 200;
    const startAt = Date.now() + 1_000;
    const moduleUrl = new URL("../../src/stores/sqlite.ts", import.meta.url).href;
    const child = (prefix: string) => `
      import { sqliteStore } from ${JSON.stringify(moduleUrl)};
      const store = sqliteStore({ path: ${JSON.stringify(path)}, sweepInterval: false });
      await new Promise((resolve) => setTimeout(resolve, ${startAt} - Date.now()));
      for (let i = 0; i < ${perProcess}; i++) {
        const ok = await store.apply("contended",
          { clear: false, set: new Map([[${JSON.stringify(prefix)} + i, i]]), delete: new Set() },
          { createdAt: Date.now(), expiresAt: Date.now() + 3600000, mustExist: true });
        if (!ok) throw new Error("session vanished");
      }
      await store.close();
    `;
    const run = promisify(execFile);
    try {
      await Promise.all(
        ["p", "q"].map((prefix) =>
          run(process.execPath, ["--no-warnings", "--input-type=module", "-e", child(prefix)]),
        ),
      );
      const data = (await store.get("contended"))?.data ?? {};
      assert.equal(Object.keys(data).length, 2 * perProcess);
    } finally {
      await store.close();
    }
  });

  test("purgeExpired deletes exactly the expired rows, in batches", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, sweepInterval: false });
    try {
      // More rows than one sweep batch, inserted directly to keep the test fast.
      insertExpired(path, 1_234);
      await write(store, "live", { a: 1 });

      assert.equal(await store.purgeExpired(), 1_234);
      assert.equal(rowCount(path), 1);
      assert.equal(await store.purgeExpired(), 0);
      assert.deepEqual((await store.get("live"))?.data, { a: 1 });
    } finally {
      await store.close();
    }
  });

  test("a sweep lets other work run between its batches", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, sweepInterval: false });
    try {
      insertExpired(path, 4_500);
      await write(store, "live", { a: 1 });
      const sweeping = store.purgeExpired();
      // node:sqlite is synchronous: a sweep that never yielded would be over by now, having
      // held the event loop (and every request) for all of its batches.
      assert.ok(rowCount(path) > 1, "the sweep is still under way after its first batch");
      assert.deepEqual((await store.get("live"))?.data, { a: 1 }, "a read meanwhile");
      assert.equal(await sweeping, 4_500);
      assert.equal(rowCount(path), 1);
    } finally {
      await store.close();
    }
  });

  test("the sweep timer deletes expired rows by itself", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, sweepInterval: "20ms" });
    try {
      await write(store, "expired", { a: 1 }, Date.now() - 1);
      await write(store, "live", { b: 2 });
      assert.equal(rowCount(path), 2);
      const deadline = Date.now() + 2_000;
      while (rowCount(path) > 1 && Date.now() < deadline) await sleep(20);
      assert.equal(rowCount(path), 1, "the sweep should have deleted the expired row");
      assert.deepEqual((await store.get("live"))?.data, { b: 2 });
    } finally {
      await store.close();
    }
  });

  test("a custom table name is used", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, table: "my_sessions" });
    try {
      await write(store, "x", { a: 1 });
      assert.equal(rowCount(path, "my_sessions"), 1);
    } finally {
      await store.close();
    }
  });

  test("a bad table name is a clear configuration error", () => {
    for (const table of ["", "1abc", "sessions; DROP TABLE users", 'quo"te', "x".repeat(64)]) {
      assert.throws(
        () => sqliteStore({ path: ":memory:", table }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.includes(JSON.stringify(table)) &&
          error.message.includes("letters, digits and underscores"),
        `table ${JSON.stringify(table)}`,
      );
    }
  });

  test("a table of that name with other columns is a clear error", () => {
    const path = tempFile();
    sqliteStore({ path, table: "unrelated" }).close();
    const db = raw(path);
    db.exec("DROP TABLE unrelated; CREATE TABLE unrelated (name TEXT)");
    db.close();
    assert.throws(
      () => sqliteStore({ path, table: "unrelated" }),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.operation === "open" &&
        /table "unrelated".*pass another table name/.test(error.message),
    );
  });

  test("a path that cannot be created is a clear error", () => {
    const blocker = join(tempDir, "a-file");
    writeFileSync(blocker, "not a directory");
    assert.throws(
      () => sqliteStore({ path: join(blocker, "sessions.db") }),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.message.includes(JSON.stringify(join(blocker, "sessions.db"))),
    );
  });

  test("bad durability and sweepInterval values are clear configuration errors", () => {
    assert.throws(
      () => sqliteStore({ path: ":memory:", durability: "fast" as "full" }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('"fast"'),
    );
    assert.throws(
      () => sqliteStore({ path: ":memory:", sweepInterval: "7days" as "7d" }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('"7days"'),
    );
    assert.throws(
      () => sqliteStore({ path: ":memory:", sweepInterval: "30d" }),
      (error: unknown) => error instanceof ConfigError && error.message.includes("longest timer"),
    );
  });

  test("durability full and a disabled sweep are accepted", async () => {
    for (const sweepInterval of [0, false] as const) {
      const store = sqliteStore({ path: ":memory:", durability: "full", sweepInterval });
      await write(store, "x", { a: 1 });
      assert.deepEqual((await store.get("x"))?.data, { a: 1 });
      await store.close();
    }
  });

  test("a write waits at most busyTimeout for another process's lock, then fails with StoreUnavailableError", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, busyTimeout: "50ms", sweepInterval: false });
    const other = raw(path);
    try {
      await write(store, "s", { before: true });
      other.exec("BEGIN IMMEDIATE");
      try {
        for (const attempt of [
          () => write(store, "t", { a: 1 }),
          () =>
            store.apply("s", setPatch({ b: 2 }), {
              createdAt: Date.now(),
              expiresAt: Date.now() + HOUR,
              mustExist: true,
            }),
          () => store.rename("s", "u", { patch: setPatch({ c: 3 }), expiresAt: Date.now() + HOUR }),
        ]) {
          const started = performance.now();
          await assert.rejects(attempt(), (error: unknown) => {
            assert.ok(error instanceof StoreUnavailableError, String(error));
            assert.match(error.message, /50 ms \(the busyTimeout option\)/);
            return true;
          });
          const waited = performance.now() - started;
          assert.ok(waited >= 40 && waited < 400, `waited ${waited.toFixed(0)} ms`);
        }
        // Reads go on while another process writes (WAL).
        assert.deepEqual((await store.get("s"))?.data, { before: true });
      } finally {
        other.exec("COMMIT");
      }
      await write(store, "t", { a: 1 });
      assert.equal(
        await store.rename("s", "u", { patch: setPatch({ c: 3 }), expiresAt: Date.now() + HOUR }),
        true,
      );
      assert.deepEqual((await store.get("u"))?.data, { before: true, c: 3 });
    } finally {
      other.close();
      await store.close();
    }
  });

  test("a bad busyTimeout is a clear configuration error", () => {
    for (const busyTimeout of ["soon" as "1s", -1, "30d" as const]) {
      assert.throws(
        () => sqliteStore({ path: ":memory:", busyTimeout }),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes("sqliteStore busyTimeout"),
        `busyTimeout ${JSON.stringify(busyTimeout)}`,
      );
    }
  });

  test("patches SQLite refuses as one statement are applied by the transaction path", async () => {
    const store = sqliteStore({ path: ":memory:", sweepInterval: false });
    const update = (patch: SessionPatch) =>
      store.apply("big", patch, {
        createdAt: Date.now(),
        expiresAt: Date.now() + HOUR,
        mustExist: true,
      });
    try {
      await write(store, "big", { start: 1, gone: true });
      const many: SessionData = {};
      for (let index = 0; index < 2_000; index += 1) many[`key${index}`] = index;
      assert.equal(await update(setPatch(many)), true);
      assert.deepEqual((await store.get("big"))?.data, { start: 1, gone: true, ...many });

      const removals = new Set(Object.keys(many));
      assert.equal(await update({ clear: false, set: new Map(), delete: removals }), true);
      assert.deepEqual((await store.get("big"))?.data, { start: 1, gone: true });
    } finally {
      await store.close();
    }
  });

  test("a record nested past MAX_NESTING is corrupt: no session, reported, not listed, replaced by a write", async () => {
    const store = sqliteStore({ path: ":memory:", sweepInterval: false });
    const reported: unknown[] = [];
    const listener = (message: unknown) => reported.push(message);
    diagnostics.subscribe("tessera:store:corrupt", listener);
    try {
      await write(store, "plain", { a: 1 });
      // Written straight to the store, past the engine's check, as another program might.
      await write(store, "deep", { deep: nested(MAX_NESTING) });
      await write(store, "deepest", { deep: nested(MAX_NESTING - 2) });
      assert.equal(await store.get("deep"), undefined);
      assert.notEqual(await store.get("deepest"), undefined, "at the limit, a record reads");
      assert.deepEqual(reported, [
        {
          store: "sqlite",
          sessionRef: sessionRefOf("deep"),
          problem: `nested more than ${MAX_NESTING} levels deep`,
        },
      ]);
      assert.deepEqual((await listedIds(store)).sort(), ["deepest", "plain"]);
      await write(store, "deep", { fresh: true });
      assert.deepEqual((await store.get("deep"))?.data, { fresh: true });
    } finally {
      diagnostics.unsubscribe("tessera:store:corrupt", listener);
      await store.close();
    }
  });

  test("list skips corrupt rows across pages and still honours limit", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, sweepInterval: false });
    try {
      const db = raw(path);
      const insert = db.prepare(
        `INSERT INTO ${TABLE} (id, data, created_at, expires_at) VALUES (?, ?, 1, ?)`,
      );
      db.exec("BEGIN");
      // Corrupt rows fill the first pages; the good ones come after them.
      for (let index = 0; index < 450; index += 1) {
        insert.run(`bad${index}`, "{not json", Date.now() + HOUR);
      }
      for (let index = 0; index < 5; index += 1) {
        insert.run(`good${index}`, "{}", Date.now() + HOUR);
      }
      db.exec("COMMIT");
      db.close();
      assert.deepEqual(await listedIds(store), ["good0", "good1", "good2", "good3", "good4"]);
      const limited: string[] = [];
      for await (const { id } of store.list({ limit: 3 })) limited.push(id);
      assert.deepEqual(limited, ["good0", "good1", "good2"]);
    } finally {
      await store.close();
    }
  });

  test("the sweep starts at the first row and skips gaps, whatever rowids were used before", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, sweepInterval: false });
    try {
      // Rowids far apart, as after years of sessions: walking every rowid from 1 (or through
      // the gap) would take billions of statements.
      const db = raw(path);
      const insert = db.prepare(
        `INSERT INTO ${TABLE} (rowid, id, data, created_at, expires_at) VALUES (?, ?, '{}', 1, ?)`,
      );
      db.exec("BEGIN");
      for (const base of [1_000_000_000_000, 5_000_000_000_000]) {
        for (let index = 0; index < 2_500; index += 1) {
          insert.run(base + index, `old${base + index}`, Date.now() - 1);
        }
      }
      insert.run(9_000_000_000_000, "live", Date.now() + HOUR);
      db.exec("COMMIT");
      db.close();

      // A sweep that walked the gaps would run for hours; closing the store ends it.
      const tooLong = sleep(5_000, "still sweeping after 5 s", { ref: false });
      assert.equal(await Promise.race([store.purgeExpired(), tooLong]), 5_000);
      assert.equal(rowCount(path), 1);
      assert.notEqual(await store.get("live"), undefined);
    } finally {
      await store.close();
    }
  });

  test("using a closed store fails with StoreUnavailableError, and close is idempotent", async () => {
    const store = sqliteStore({ path: ":memory:" });
    await store.close();
    await store.close();
    await assert.rejects(
      store.get("x"),
      (error: unknown) =>
        error instanceof StoreUnavailableError &&
        error.operation === "get" &&
        error.message.includes("closed"),
    );
  });
});

describe("sqlite store: per-user index (userKey)", () => {
  async function byUser(store: SqliteStore, userId: string | number): Promise<string[]> {
    const ids: string[] = [];
    for await (const { id } of store.listByUser(userId)) ids.push(id);
    return ids.sort();
  }

  test("listByUser and revokeUser find the sessions whose userKey holds the user, as string or number", async () => {
    const store = sqliteStore({ path: tempFile(), userKey: "userId" });
    assert.equal(store.capabilities.userIndex, true);
    await write(store, "a", { userId: 42 });
    await write(store, "b", { userId: "42" });
    await write(store, "other", { userId: 7 });
    await write(store, "anonymous", { cart: [] });
    await write(store, "empty", { userId: "" });
    await write(store, "fraction", { userId: 42.5 });
    await write(store, "nested", { userId: { id: 42 } });
    await write(store, "expired", { userId: 42 }, Date.now() - 1);
    assert.deepEqual(await byUser(store, 42), ["a", "b"]);
    assert.deepEqual(await byUser(store, "42"), ["a", "b"]);
    // Logging out (deleting the key) takes the session out of the index.
    await store.apply("b", setPatch({}, ["userId"]), {
      createdAt: Date.now(),
      expiresAt: Date.now() + HOUR,
      mustExist: true,
    });
    assert.deepEqual(await byUser(store, 42), ["a"]);
    assert.equal(await store.revokeUser("42"), 1);
    assert.equal(await store.get("a"), undefined);
    for (const id of ["b", "other", "anonymous", "empty", "fraction", "nested"]) {
      assert.ok(await store.get(id), id);
    }
    assert.equal(await store.revokeUser(42), 0);
    // A fraction is a user id too, as on Redis and PostgreSQL.
    assert.deepEqual(await byUser(store, 42.5), ["fraction"]);
    assert.deepEqual(await byUser(store, "42.5"), ["fraction"]);
    for (const bad of ["", Number.NaN, Number.POSITIVE_INFINITY, {} as unknown as string]) {
      await assert.rejects(store.revokeUser(bad), ArgumentError, String(bad));
      await assert.rejects(byUser(store, bad), ArgumentError, String(bad));
    }
    await store.close();
  });

  test("a renamed (regenerated) session stays its user's under the new id", async () => {
    const store = sqliteStore({ path: tempFile(), userKey: "userId" });
    await write(store, "before", { userId: "ada" });
    assert.ok(
      await store.rename("before", "after", {
        patch: setPatch({ seen: 1 }),
        expiresAt: Date.now() + HOUR,
      }),
    );
    assert.deepEqual(await byUser(store, "ada"), ["after"]);
    await store.close();
  });

  test("the lookup uses the index, and a corrupt row neither breaks it nor counts", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, userKey: "userId" });
    await write(store, "good", { userId: "ada" });
    const db = raw(path);
    try {
      db.prepare(
        `INSERT INTO ${TABLE} (id, data, created_at, expires_at) VALUES ('bad', 'not json', 1, ?)`,
      ).run(Date.now() + HOUR);
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM ${TABLE} WHERE ${userExpression("userId")} = ? AND expires_at > ?`,
        )
        .all("ada", 0)
        .map((row) => String(row.detail));
      assert.match(plan.join("\n"), /USING INDEX tessera_sessions_user_/, plan.join("\n"));
    } finally {
      db.close();
    }
    assert.deepEqual(await byUser(store, "ada"), ["good"]);
    await write(store, "more", { userId: "ada" });
    assert.deepEqual(await byUser(store, "ada"), ["good", "more"]);
    await store.close();
  });

  test("an existing table gains the index: sessions written before are found", async () => {
    const path = tempFile();
    const before = sqliteStore({ path });
    await write(before, "old", { userId: "ada" });
    await before.close();
    const after = sqliteStore({ path, userKey: "userId" });
    assert.deepEqual(await byUser(after, "ada"), ["old"]);
    await after.close();
  });

  test("without userKey the per-user calls say which option they need; a bad userKey is refused", async () => {
    const store = sqliteStore({ path: ":memory:" });
    assert.equal(store.capabilities.userIndex, false);
    await assert.rejects(store.revokeUser(1), /userKey/);
    await assert.rejects(async () => {
      for await (const _ of store.listByUser(1)) break;
    }, /userKey/);
    await store.close();
    for (const userKey of ["", 'a"b', "a\\b", "it's", "x".repeat(101)]) {
      assert.throws(
        () => sqliteStore({ path: ":memory:", userKey }),
        ConfigError,
        JSON.stringify(userKey),
      );
    }
  });
});
