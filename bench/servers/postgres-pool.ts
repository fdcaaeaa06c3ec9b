/**
 * What every PostgreSQL contender shares, so the floors, tessera and the peer all pay for the same
 * client: one pg Pool with the same settings (`POOL_OPTIONS`) to the run's PostgreSQL
 * (BENCH_DATABASE_URL, found by the parent), a table of this server's own (BENCH_PG_TABLE, named
 * by the parent, so contenders never touch each other's rows), and on close dropping that table,
 * so a run leaves nothing behind in a database others use.
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { setTimeout } from "node:timers/promises";
import pg from "pg";
import { postgresTableDdl } from "../../src/stores/postgres/index.ts";
import { requiredEnv } from "./serve.ts";

/**
 * pg's defaults, written out: at most 10 connections, idle ones closed after 10 s. The store
 * takes whatever client the application gives it, so this is the Pool every contender gets.
 */
export const POOL_OPTIONS = { max: 10, idleTimeoutMillis: 10_000 } as const;

export const THIRTY_ONE_DAYS_MS = 31 * 86_400_000;

export function connectPool(): pg.Pool {
  const pool = new pg.Pool({
    connectionString: requiredEnv("BENCH_DATABASE_URL"),
    ...POOL_OPTIONS,
  });
  // An idle connection that dies is reported as an 'error' event; unheard, it would end the
  // server with a stack trace. Failed queries still reject where they were sent.
  pool.on("error", (error) => {
    process.stderr.write(`bench server ${process.pid}: postgres: ${error.message}\n`);
  });
  return pool;
}

/** This server's table (an unquoted identifier: `bench_<parent pid>_<contender>`). */
export function benchTable(): string {
  const table = requiredEnv("BENCH_PG_TABLE");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new Error(`BENCH_PG_TABLE ${JSON.stringify(table)} is not a plain table name.`);
  }
  return table;
}

/**
 * Drops this server's table, then ends the pool. Requests the load left in flight when it
 * stopped may still be sending statements (a write's second one follows its first), so this
 * first waits until the pool has been idle for a moment, lest they meet a dropped table.
 */
export async function dropTableAndEnd(pool: pg.Pool, table: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  let idleSince: number | undefined;
  while (Date.now() < deadline) {
    if (pool.waitingCount > 0 || pool.idleCount < pool.totalCount) idleSince = undefined;
    else if (idleSince === undefined) idleSince = Date.now();
    else if (Date.now() - idleSince >= 100) break;
    await setTimeout(20);
  }
  try {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await pool.end();
  }
}

/**
 * Creates tessera's table under `table` (the store's own DDL, postgresTableDdl) holding one of
 * alice's sessions for each connection of the load (BENCH_SESSIONS), shaped as the store writes
 * them: the data as jsonb, 31 days to live. Resolves to their ids.
 */
export async function seedFloorTable(pool: pg.Pool, table: string): Promise<readonly string[]> {
  const count = Number(requiredEnv("BENCH_SESSIONS"));
  if (!Number.isInteger(count) || count < 1) throw new Error("BENCH_SESSIONS is not a count.");
  // Shaped like real session ids (43 base64url characters), as the other floors' records are.
  const ids = Array.from({ length: count }, (_, index) =>
    `bench-floor-session-${String(index).padStart(4, "0")}`.padEnd(43, "0"),
  );
  await pool.query(postgresTableDdl(table));
  const now = Date.now();
  await pool.query(
    `INSERT INTO ${table} (id, data, created_at, expires_at)
       SELECT id, $2::jsonb, to_timestamp($3::float8 / 1000), to_timestamp($4::float8 / 1000)
       FROM unnest($1::text[]) AS id`,
    [ids, JSON.stringify({ username: "alice" }), now, now + THIRTY_ONE_DAYS_MS],
  );
  return ids;
}

const ROW = Symbol("bench floor row");
let sockets = 0;

/**
 * The floor row of the request's connection: each new connection takes the next row in turn,
 * as the load gives each connection the next session's cookie (contenders.ts,
 * sessionPerConnection), so the floors read and write as many rows, each from one connection.
 */
export function rowOf(req: IncomingMessage, ids: readonly string[]): string {
  const socket = req.socket as Socket & { [ROW]?: string };
  socket[ROW] ??= ids[sockets++ % ids.length] as string;
  return socket[ROW];
}
