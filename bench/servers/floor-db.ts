/**
 * The floors' database: one session-shaped row in a node:sqlite file, opened with the same
 * pragmas as sqliteStore (WAL, synchronous NORMAL, busy timeout) so a floor pays exactly the
 * storage costs the real store pays and nothing more.
 */
import { DatabaseSync } from "node:sqlite";
import { requiredEnv } from "./serve.ts";

/** Shaped like a real session id (43 base64url characters), so index lookups compare alike. */
export const FLOOR_SESSION_ID = "bench-floor-session-id-0000000000000000000";
const THIRTY_ONE_DAYS_MS = 31 * 86_400_000;

export function openFloorDatabase(): DatabaseSync {
  const db = new DatabaseSync(requiredEnv("BENCH_DB_PATH"));
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec(`
    CREATE TABLE IF NOT EXISTS t (
      id TEXT PRIMARY KEY,
      data TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )
  `);
  const now = Date.now();
  db.prepare("INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?)").run(
    FLOOR_SESSION_ID,
    JSON.stringify({ username: "alice" }),
    now,
    now + THIRTY_ONE_DAYS_MS,
  );
  return db;
}

export function expiryFromNow(): number {
  return Date.now() + THIRTY_ONE_DAYS_MS;
}
