/**
 * The store a soak server runs on, chosen by the parent through SOAK_STORE: the memory store
 * (its default bound, or SOAK_MAX_ENTRIES), SQLite in the file SOAK_DB_PATH, or Redis at
 * SOAK_REDIS_URL under the key prefix SOAK_PREFIX, which the parent owns and cleans up.
 */
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { requiredEnv } from "../servers/serve.ts";

export type SoakStoreKind = "memory" | "sqlite" | "redis";

export interface ServerStore {
  readonly kind: SoakStoreKind;
  readonly store: SessionStore;
  /** Emitters besides the process and the server whose listeners the samples count. */
  readonly emitters: Readonly<Record<string, NodeJS.EventEmitter>>;
  /** Closes what the store was given (the Redis client) after `sessions.close()`. */
  release(): Promise<void>;
}

export async function serverStore(): Promise<ServerStore> {
  const kind = requiredEnv("SOAK_STORE");
  if (kind === "memory") {
    const max = process.env.SOAK_MAX_ENTRIES;
    const store = memoryStore(max === undefined ? {} : { maxEntries: Number(max) });
    return { kind, store, emitters: {}, release: async () => {} };
  }
  if (kind === "sqlite") {
    // The sweep stays on (its default), as in production: its timer is one of those counted.
    const store = sqliteStore({ path: requiredEnv("SOAK_DB_PATH") });
    return { kind, store, emitters: {}, release: async () => {} };
  }
  if (kind === "redis") {
    const [{ createClient }, { redisStore }] = await Promise.all([
      import("redis"),
      import("../../src/stores/redis/index.ts"),
    ]);
    const client = createClient({ url: requiredEnv("SOAK_REDIS_URL") });
    // Unheard, a connection error would kill the server; failed commands still reject.
    client.on("error", (error: unknown) => {
      process.stderr.write(`soak server: redis: ${String(error)}\n`);
    });
    await client.connect();
    const store = redisStore({ client, prefix: requiredEnv("SOAK_PREFIX") });
    return { kind, store, emitters: { redisClient: client }, release: () => client.close() };
  }
  throw new Error(`SOAK_STORE ${JSON.stringify(kind)} is not "memory", "sqlite" or "redis".`);
}
