/** The session store a tessera contender runs on, chosen by the parent through BENCH_STORE. */
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { requiredEnv } from "./serve.ts";

export function storeFromEnv(): SessionStore {
  const kind = requiredEnv("BENCH_STORE");
  if (kind === "memory") return memoryStore();
  if (kind === "sqlite") return sqliteStore({ path: requiredEnv("BENCH_DB_PATH") });
  throw new Error(`BENCH_STORE ${JSON.stringify(kind)} is not "memory" or "sqlite".`);
}
