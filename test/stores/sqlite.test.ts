import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { ConfigError, StoreUnavailableError } from "../../src/errors.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { SessionPatch, SessionStore } from "../../src/stores/contract.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";

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

function setPatch(data: Record<string, unknown>): SessionPatch {
  return { clear: false, set: new Map(Object.entries(data)), delete: new Set() };
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
      const db = raw(path);
      const insert = db.prepare(
        `INSERT INTO ${TABLE} (id, data, created_at, expires_at) VALUES (?, '{}', 1, ?)`,
      );
      db.exec("BEGIN");
      for (let index = 0; index < 1_234; index += 1) insert.run(`old${index}`, Date.now() - 1);
      db.exec("COMMIT");
      db.close();
      await write(store, "live", { a: 1 });

      assert.equal(await store.purgeExpired(), 1_234);
      assert.equal(rowCount(path), 1);
      assert.equal(await store.purgeExpired(), 0);
      assert.deepEqual((await store.get("live"))?.data, { a: 1 });
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
