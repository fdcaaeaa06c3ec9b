/**
 * The PostgreSQL the tests use: DATABASE_URL, or the local server on 127.0.0.1:5432 with trust
 * authentication (user postgres, database postgres). Tests make tables of their own, under
 * per-run names, and drop them afterwards, so runs can share the server.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

/** A table name no other run uses. */
export function uniqueTable(label: string): string {
  return `tessera_test_${label}_${randomBytes(5).toString("hex")}`;
}

/** A pool on the test database; the caller ends it. */
export function testPool(options: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl(), max: 5, ...options });
}

/** Runs one statement on a short-lived connection. */
export async function sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
