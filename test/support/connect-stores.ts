/**
 * Real express-session stores on the real servers, each on a namespace of this run's own, for
 * the bridge's tests: connect-redis on node-redis under a per-run key prefix, and
 * connect-pg-simple on pg in a per-run schema (its table is created by the store itself,
 * `createTableIfMissing`; a schema of its own, because connect-pg-simple names its index
 * "IDX_session_expire" whatever the table is called, so two tables in one schema collide).
 * `close()` removes everything the run wrote.
 */
import { randomBytes } from "node:crypto";
import connectPgSimple from "connect-pg-simple";
import { RedisStore } from "connect-redis";
import session from "express-session";
import { createClient } from "redis";
import { testPool } from "./postgres.ts";
import { deleteKeysUnder, ensureRedis } from "./redis-server.ts";

const connectedClient = (url: string) => createClient({ url }).connect();
type RedisClient = Awaited<ReturnType<typeof connectedClient>>;

export interface RunStores<S> {
  /** A new store object on this run's namespace (they all share it, and the connection). */
  make(): S;
  /** Deletes what the run wrote and closes the connection. */
  close(): Promise<void>;
}

export async function connectRedisForRun(): Promise<
  RunStores<RedisStore> & { prefix: string; url: string; client: RedisClient }
> {
  const url = await ensureRedis();
  const client = await connectedClient(url);
  const prefix = `tessera-test-bridge:${randomBytes(6).toString("base64url")}:`;
  return {
    prefix,
    url,
    client,
    make: () => new RedisStore({ client, prefix }),
    async close() {
      const parsed = new URL(url);
      await deleteKeysUnder({ host: parsed.hostname, port: Number(parsed.port || 6379) }, prefix);
      await client.quit();
    },
  };
}

const PGStore = connectPgSimple(session);
export type PgSessionStore = InstanceType<typeof PGStore>;

export async function connectPgForRun(): Promise<
  RunStores<PgSessionStore> & { schema: string; table: string; pool: ReturnType<typeof testPool> }
> {
  const pool = testPool();
  const schema = `tessera_test_bridge_${randomBytes(5).toString("hex")}`;
  const table = `sessions_${randomBytes(3).toString("hex")}`;
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    schema,
    table,
    pool,
    make: () =>
      new PGStore({
        pool,
        schemaName: schema,
        tableName: table,
        createTableIfMissing: true,
        // No prune timer: nothing of the test's may outlive it.
        pruneSessionInterval: false,
      }),
    async close() {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
