/** The session store a tessera contender runs on, chosen by the parent through BENCH_STORE. */
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { requiredEnv } from "./serve.ts";

export interface BenchStore {
  readonly store: SessionStore;
  /**
   * What the server releases after `sessions.close()` (which closes the store): for Redis, the
   * client the store was given, and the keys this process wrote; for PostgreSQL, the pool and
   * this server's table.
   */
  release(): Promise<void>;
}

export async function storeFromEnv(): Promise<BenchStore> {
  const kind = requiredEnv("BENCH_STORE");
  if (kind === "memory") return { store: memoryStore(), release: async () => {} };
  if (kind === "sqlite") {
    return { store: sqliteStore({ path: requiredEnv("BENCH_DB_PATH") }), release: async () => {} };
  }
  if (kind === "redis") {
    // Loaded only here, so the other contenders never load a Redis client.
    const [{ redisStore }, { cleanUpAndClose, connectRedis, KEY_PREFIX }] = await Promise.all([
      import("../../src/stores/redis/index.ts"),
      import("./redis-client.ts"),
    ]);
    const client = await connectRedis();
    return {
      store: redisStore({ client, prefix: KEY_PREFIX }),
      release: () => cleanUpAndClose(client),
    };
  }
  if (kind === "postgres") {
    // Loaded only here, so the other contenders never load pg. The table is created by the
    // store on first use, which is the parent's GET /start, before any load.
    const [{ postgresStore }, { benchTable, connectPool, dropTableAndEnd }] = await Promise.all([
      import("../../src/stores/postgres/index.ts"),
      import("./postgres-pool.ts"),
    ]);
    const pool = connectPool();
    const table = benchTable();
    return {
      store: postgresStore({ client: pool, table }),
      release: () => dropTableAndEnd(pool, table),
    };
  }
  throw new Error(
    `BENCH_STORE ${JSON.stringify(kind)} is not "memory", "sqlite", "redis" or "postgres".`,
  );
}
