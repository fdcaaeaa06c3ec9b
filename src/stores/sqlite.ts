/**
 * The embedded default store: one SQLite file on `node:sqlite`, so there is no native module to
 * build. WAL mode and a busy timeout let several processes on one machine share the file; every
 * read-modify-write runs in one `BEGIN IMMEDIATE` transaction, so patches stay atomic across
 * processes too. Expired rows are invisible at once and deleted by a background sweep.
 *
 * node:sqlite is synchronous: a query blocks the event loop while it runs. Queries here touch
 * one row by primary key, and the sweep deletes in small batches, so each block stays short.
 * Waiting for another process's write lock blocks the same way, which is why the busy timeout
 * is short: past it the operation fails (StoreUnavailableError) instead of stalling every
 * request in the process.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { MAX_NESTING } from "../codecs/nesting.ts";
import { ConfigError, isCallerError, StoreUnavailableError, TesseraError } from "../errors.ts";
import { type Duration, toMilliseconds } from "../util/duration.ts";
import type {
  ApplyOptions,
  ListOptions,
  RenameOptions,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoreCapabilities,
  StoredSession,
  UserId,
} from "./contract.ts";
import { markInProcess } from "./in-process.ts";
import { listLimit, parseStoredData, serializePatchedData } from "./json-records.ts";
import { PatchStatements } from "./sqlite-patch.ts";
import { prepareUserStatements, type UserStatements, validateUserKey } from "./sqlite-users.ts";
import { startSweeper, sweepIntervalMs } from "./sweeper.ts";
import { requireUserId } from "./user-ids.ts";

export interface SqliteStoreOptions {
  /** The database file, created with its directory when missing; ":memory:" for a throwaway one. */
  readonly path?: string;
  /** The table sessions live in, created when missing. */
  readonly table?: string;
  /** How often expired rows are deleted; 0 or false leaves it to `purgeExpired()`. */
  readonly sweepInterval?: Duration | false;
  /** PRAGMA synchronous: "normal" is durable across process crashes, "full" also across power loss. */
  readonly durability?: "normal" | "full";
  /**
   * How long an operation waits for another process's write lock before it fails with
   * StoreUnavailableError (the application answers 503). node:sqlite is synchronous, so the
   * whole event loop waits with it: every request in this process stalls for up to this long.
   * Keep it short; raise it only if other processes hold the lock for long on purpose.
   * Default "100ms"; 0 fails at once.
   */
  readonly busyTimeout?: Duration;
  /**
   * The session key that holds the user's id (a string or a whole number), such as "userId".
   * With it the store indexes sessions by user, for `listByUser` and `revokeUser` ("log out
   * everywhere"); each write then also updates that index.
   */
  readonly userKey?: string;
}

export interface SqliteStore extends SessionStore {
  readonly kind: "sqlite";
  readonly capabilities: StoreCapabilities;
  /** The live sessions of one user (needs `userKey`). */
  listByUser(userId: UserId): AsyncIterable<SessionSummary>;
  /** Ends every session of one user ("log out everywhere"); resolves to how many ended. */
  revokeUser(userId: UserId): Promise<number>;
}

const DEFAULTS = {
  path: "data/sessions.db",
  table: "tessera_sessions",
  sweepInterval: "5m",
  durability: "normal",
  busyTimeout: "100ms",
} as const;

/**
 * Rowids examined per sweep statement. There is deliberately no index on expires_at: it would
 * cost every write and touch about a third more, to speed up a sweep that runs every few
 * minutes. The sweep walks the table in rowid order instead, a short range per statement, so it
 * never holds the write lock for long however many sessions there are.
 */
const SWEEP_CHUNK = 2_000;
/** Rows fetched per list query, so a listing never keeps a statement open across awaits. */
const LIST_PAGE = 200;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function sqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  const path = options.path ?? DEFAULTS.path;
  const table = validateTable(options.table ?? DEFAULTS.table);
  const sweepMs = sweepIntervalMs("sqliteStore", options.sweepInterval ?? DEFAULTS.sweepInterval);
  const synchronous = validateDurability(options.durability ?? DEFAULTS.durability);
  const busyMs = validateBusyTimeout(options.busyTimeout ?? DEFAULTS.busyTimeout);
  const userKey = options.userKey === undefined ? undefined : validateUserKey(options.userKey);

  const db = openDatabase(path, synchronous, busyMs);
  const sql = prepareStatements(db, path, table);
  const patches = new PatchStatements((text) => db.prepare(text), `"${table}"`);
  const users: UserStatements | undefined =
    userKey === undefined ? undefined : prepareUsers(db, path, table, userKey);
  let closed = false;

  function requireUsers(operation: string): UserStatements {
    if (users === undefined) {
      throw new ConfigError(
        `sqliteStore ${operation} needs the userKey option: the session key that holds the user's id, such as sqliteStore({ userKey: "userId" }).`,
      );
    }
    return users;
  }

  /** Runs `body` as one write transaction; any error rolls it back. */
  function inTransaction<T>(body: () => T): T {
    sql.begin.run();
    try {
      const result = body();
      sql.commit.run();
      return result;
    } catch (error) {
      if (db.isTransaction) sql.rollback.run();
      throw error;
    }
  }

  /** Runs one store operation, turning database failures into StoreUnavailableError. */
  function guarded<T>(operation: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      // Our own errors (a value that is not JSON, a bad list limit) are the caller's to fix.
      if (error instanceof TesseraError || isCallerError(error)) {
        throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError(
        operation,
        `sqlite session store: ${operation} failed on ${JSON.stringify(path)}: ${reason}. ${
          closed
            ? "The store was closed; create a new one to keep using it."
            : `Check that the file is readable and writable and that no other process holds its write lock for more than ${busyMs} ms (the busyTimeout option).`
        }`,
        { cause: error },
      );
    }
  }

  async function purge(): Promise<number> {
    const now = Date.now();
    // Rows inserted during the sweep are new, so live: the walk stops at today's last rowid.
    const last = Number(guarded("purgeExpired", () => sql.maxRowid.get())?.last ?? 0);
    let total = 0;
    // Each chunk starts at the first row that exists (the table's first row, then the first
    // past the previous chunk), so the sweep's cost follows the rows in the table, not every
    // rowid ever used: gaps left by deleted sessions are skipped with one index seek.
    let from = nextRowid(1);
    while (from !== undefined && from <= last) {
      const start = from;
      const { changes } = guarded("purgeExpired", () =>
        sql.sweepChunk.run(start, start + SWEEP_CHUNK - 1, now),
      );
      total += Number(changes);
      // Let requests run between chunks; a close() meanwhile ends the sweep.
      await new Promise((resolve) => setImmediate(resolve));
      if (closed) return total;
      from = nextRowid(start + SWEEP_CHUNK);
    }
    return total;
  }

  /** The smallest rowid at or after `from`, or undefined when there is none. */
  function nextRowid(from: number): number | undefined {
    const next = guarded("purgeExpired", () => sql.nextRowid.get(from))?.next;
    return next === null || next === undefined ? undefined : Number(next);
  }

  const sweeper = startSweeper("sqliteStore", sweepMs, purge);

  function read(id: string): StoredSession | undefined {
    return guarded("get", () => {
      const row = sql.selectLive.get(id, Date.now());
      if (row === undefined) return undefined;
      const data = parseStoredData(row.data, { store: "sqlite", id });
      if (data === undefined) return undefined;
      return {
        data,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
      };
    });
  }

  const store: SqliteStore = {
    kind: "sqlite",
    capabilities: { userIndex: users !== undefined },

    async get(id: string): Promise<StoredSession | undefined> {
      return read(id);
    },

    async apply(id: string, patch: SessionPatch, options: ApplyOptions): Promise<boolean> {
      return guarded("apply", () => {
        // The common write (an existing session, a few keys) is one UPDATE; creation, clear,
        // unusual keys and corrupt rows go through the read-modify-write transaction.
        // A patch SQLite refuses as one statement (see PatchStatements.apply) also lands here.
        if (
          options.mustExist &&
          patches.canApply(patch) &&
          patches.apply(id, patch, options.expiresAt, Date.now())
        ) {
          return true;
        }
        return inTransaction(() => {
          const row = sql.selectLive.get(id, Date.now());
          // A corrupt row counts as no session: it is replaced, never merged into.
          const stored = row === undefined ? undefined : parseStoredData(row.data);
          if (stored === undefined && options.mustExist) return false;
          const createdAt = stored === undefined ? options.createdAt : Number(row?.created_at);
          sql.upsert.run(id, serializePatchedData(stored, patch), createdAt, options.expiresAt);
          return true;
        });
      });
    },

    async touch(id: string, expiresAt: number): Promise<void> {
      guarded("touch", () => sql.touchLive.run(expiresAt, id, Date.now()));
    },

    async destroy(id: string): Promise<void> {
      guarded("destroy", () => sql.deleteById.run(id));
    },

    async rename(fromId: string, toId: string, options: RenameOptions): Promise<boolean> {
      return guarded("rename", () =>
        // Check, replace, move and patch in one transaction: a failure anywhere (a value that is
        // not JSON, a lost lock) rolls everything back, leaving the source under its old id.
        inTransaction(() => {
          const row = sql.selectLive.get(fromId, Date.now());
          // A corrupt row counts as no session, as in get: nothing to move.
          const stored = row === undefined ? undefined : parseStoredData(row.data);
          if (stored === undefined) return false;
          const data = serializePatchedData(stored, options.patch);
          if (fromId !== toId) sql.deleteById.run(toId);
          sql.renameById.run(toId, data, options.expiresAt, fromId);
          return true;
        }),
      );
    },

    async *list(options?: ListOptions): AsyncIterable<SessionSummary> {
      let remaining = listLimit(options);
      let afterRowid = 0;
      const now = Date.now();
      while (remaining > 0) {
        const pageSize = Math.min(remaining, LIST_PAGE);
        const rows = guarded("list", () => sql.listPage.all(now, afterRowid, pageSize));
        for (const row of rows) {
          afterRowid = Number(row.rowid);
          // Corrupt rows are left out, as get treats them as no session. SQLite vouches for small
          // rows; the rest (`unchecked` holds their data) get the very parse get uses, so list
          // shows exactly the records get reads (one nested past MAX_NESTING is corrupt).
          if (row.unchecked !== null && parseStoredData(row.unchecked) === undefined) continue;
          yield {
            id: String(row.id),
            createdAt: Number(row.created_at),
            expiresAt: Number(row.expires_at),
          };
          remaining -= 1;
        }
        if (rows.length < pageSize) return;
      }
    },

    async *listByUser(userId: UserId): AsyncIterable<SessionSummary> {
      const statements = requireUsers("listByUser");
      // One user's sessions are few: read at once, so no statement stays open across awaits.
      const user = requireUserId(userId);
      const rows = guarded("listByUser", () => statements.byUser.all(user, Date.now()));
      for (const row of rows) {
        yield {
          id: String(row.id),
          createdAt: Number(row.created_at),
          expiresAt: Number(row.expires_at),
        };
      }
    },

    async revokeUser(userId: UserId): Promise<number> {
      const statements = requireUsers("revokeUser");
      const { changes } = guarded("revokeUser", () =>
        statements.revoke.run(requireUserId(userId), Date.now()),
      );
      return Number(changes);
    },

    purgeExpired: () => sweeper.run(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await sweeper.stop();
      db.close();
    },
  };
  return markInProcess(store, read);
}

/**
 * node:sqlite, fetched when a store opens rather than imported by this module: an application
 * on Redis, on cookie sessions, or on a runtime without it (Cloudflare Workers) never loads it.
 */
function nodeSqlite(): typeof import("node:sqlite") {
  let sqlite: typeof import("node:sqlite") | undefined;
  // workerd has a node:sqlite module whose DatabaseSync cannot be constructed (no file system).
  if (!onCloudflareWorkers()) {
    try {
      sqlite = globalThis.process?.getBuiltinModule?.("node:sqlite");
    } catch {
      sqlite = undefined;
    }
  }
  if (sqlite?.DatabaseSync === undefined) {
    throw new ConfigError(
      `The SQLite session store (sqliteStore, the default when no store is given) needs node:sqlite and a file system, which this runtime (${runtimeName()}) does not provide; Node.js 22.13 or newer, Deno and Bun do. Pass another store (redisStore() from tessera/redis), or keep the session in its cookie with format "flask" or "sealed", which needs no store.`,
    );
  }
  return sqlite;
}

function onCloudflareWorkers(): boolean {
  return globalThis.navigator?.userAgent === "Cloudflare-Workers";
}

function runtimeName(): string {
  const versions = globalThis.process?.versions as Record<string, string | undefined> | undefined;
  if (versions?.bun !== undefined) return `Bun ${versions.bun}`;
  if (versions?.deno !== undefined) return `Deno ${versions.deno}`;
  if (onCloudflareWorkers()) return "Cloudflare Workers";
  return versions?.node === undefined ? "this JavaScript runtime" : `Node.js ${versions.node}`;
}

function openDatabase(path: string, synchronous: "NORMAL" | "FULL", busyMs: number): DatabaseSync {
  const { DatabaseSync } = nodeSqlite();
  // Fetched here too, so that importing tessera asks a runtime for no file system at all.
  const { chmodSync, existsSync, mkdirSync } = process.getBuiltinModule("node:fs");
  const { dirname } = process.getBuiltinModule("node:path");
  const inMemory = path === ":memory:" || path === "";
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    const created = !inMemory && !existsSync(path);
    const db = new DatabaseSync(path);
    try {
      // Session data is nobody else's business: a file this store creates is readable by its
      // owner only (SQLite gives the -wal and -shm files the same mode). An existing file keeps
      // whatever mode its owner chose.
      if (created) chmodSync(path, 0o600);
      db.exec(`PRAGMA busy_timeout = ${busyMs}`);
      // WAL lets readers in other processes go on while one process writes.
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(`PRAGMA synchronous = ${synchronous}`);
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(
      "open",
      `sqlite session store: cannot open the database at ${JSON.stringify(path)}: ${reason}. Check that the directory is writable and the file is an SQLite database, or pass another path (":memory:" for a throwaway database).`,
      { cause: error },
    );
  }
}

interface Statements {
  readonly begin: StatementSync;
  readonly commit: StatementSync;
  readonly rollback: StatementSync;
  readonly selectLive: StatementSync;
  readonly upsert: StatementSync;
  readonly touchLive: StatementSync;
  readonly deleteById: StatementSync;
  readonly renameById: StatementSync;
  readonly listPage: StatementSync;
  readonly maxRowid: StatementSync;
  readonly nextRowid: StatementSync;
  readonly sweepChunk: StatementSync;
}

/** The user index's statements, with the same message as the table's when SQLite refuses them. */
function prepareUsers(
  db: DatabaseSync,
  path: string,
  table: string,
  userKey: string,
): UserStatements {
  try {
    return prepareUserStatements(db, table, userKey);
  } catch (error) {
    db.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(
      "open",
      `sqlite session store: cannot index table ${JSON.stringify(table)} in ${JSON.stringify(path)} by ${JSON.stringify(userKey)}: ${reason}.`,
      { cause: error },
    );
  }
}

/** Creates the table when missing and prepares every statement once, up front. */
function prepareStatements(db: DatabaseSync, path: string, table: string): Statements {
  const t = `"${table}"`;
  try {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${t} (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `);
    return {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      selectLive: db.prepare(
        `SELECT data, created_at, expires_at FROM ${t} WHERE id = ? AND expires_at > ?`,
      ),
      upsert: db.prepare(
        `INSERT INTO ${t} (id, data, created_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET
           data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at`,
      ),
      touchLive: db.prepare(`UPDATE ${t} SET expires_at = ? WHERE id = ? AND expires_at > ?`),
      deleteById: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
      renameById: db.prepare(`UPDATE ${t} SET id = ?, data = ?, expires_at = ? WHERE id = ?`),
      // `unchecked` is NULL for data SQLite reads as a JSON object too short to nest past
      // MAX_NESTING, and the data itself for the rest, which list checks in JavaScript. CASE
      // guarantees json_type only sees valid JSON (it raises an error on anything else).
      listPage: db.prepare(
        `SELECT rowid, id, created_at, expires_at,
           CASE WHEN length(data) <= ${MAX_NESTING}
               AND CASE WHEN json_valid(data) THEN json_type(data) END = 'object'
             THEN NULL ELSE data END AS unchecked
         FROM ${t}
         WHERE expires_at > ? AND rowid > ?
         ORDER BY rowid LIMIT ?`,
      ),
      maxRowid: db.prepare(`SELECT max(rowid) AS last FROM ${t}`),
      nextRowid: db.prepare(`SELECT min(rowid) AS next FROM ${t} WHERE rowid >= ?`),
      sweepChunk: db.prepare(`DELETE FROM ${t} WHERE rowid BETWEEN ? AND ? AND expires_at <= ?`),
    };
  } catch (error) {
    db.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailableError(
      "open",
      `sqlite session store: cannot use table ${JSON.stringify(table)} in ${JSON.stringify(path)}: ${reason}. If a table of that name already exists for something else, pass another table name.`,
      { cause: error },
    );
  }
}

function validateTable(table: string): string {
  if (typeof table !== "string" || !IDENTIFIER.test(table)) {
    throw new ConfigError(
      `sqliteStore table ${JSON.stringify(table)} is not a valid table name: use 1 to 63 letters, digits and underscores, starting with a letter or underscore, such as "tessera_sessions"`,
    );
  }
  return table;
}

/** SQLite takes its busy timeout as a 32-bit signed count of milliseconds. */
const MAX_BUSY_TIMEOUT_MS = 2_147_483_647;

function validateBusyTimeout(busyTimeout: Duration): number {
  let ms: number;
  try {
    ms = toMilliseconds(busyTimeout, "sqliteStore busyTimeout");
  } catch (error) {
    throw new ConfigError(
      `${error instanceof Error ? error.message : String(error)}; leave it out for the default of "${DEFAULTS.busyTimeout}"`,
      { cause: error },
    );
  }
  if (ms > MAX_BUSY_TIMEOUT_MS) {
    throw new ConfigError(
      `sqliteStore busyTimeout ${JSON.stringify(busyTimeout)} is longer than SQLite supports (about 24.8 days); keep it short, such as "100ms": the whole process waits that long`,
    );
  }
  return ms;
}

function validateDurability(durability: string): "NORMAL" | "FULL" {
  if (durability === "normal") return "NORMAL";
  if (durability === "full") return "FULL";
  throw new ConfigError(
    `sqliteStore durability ${JSON.stringify(durability)} is not one of "normal" or "full": use "normal" (the default, safe across process crashes) or "full" (also safe across power loss, slower writes)`,
  );
}
