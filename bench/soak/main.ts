/**
 * `npm run soak`: mixed load on the memory, SQLite and Redis stores (10 minutes in all by
 * default, split between them), then 1,000,000 sessions in SQLite and in Redis with reads
 * measured as they fill, and the memory store filled far past its bound. Prints the report,
 * writes it as JSON under .bench/soak/, and exits 1 when any bound is broken.
 *
 *   node bench/soak/main.ts [--minutes 10] [--stores memory,sqlite,redis] [--sessions 1000000]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { killAllServersNow } from "../children.ts";
import { redisForRun } from "../redis.ts";
import { FULL_BOUNDS } from "./bounds.ts";
import { formatStore } from "./report.ts";
import { MEMORY_MAX_ENTRIES, type SoakSettings, type StoreReport, soakStore } from "./run.ts";
import type { SoakStoreKind } from "./server-store.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    stores: { type: "string", default: "memory,sqlite,redis" },
    sessions: { type: "string", default: "1000000" },
  },
});
const stores = values.stores.split(",") as SoakStoreKind[];
const sessions = Number(values.sessions);
const seconds = Math.round((Number(values.minutes) * 60) / stores.length);

/** The given counts up to the total, then the total, each once, in order. */
function upTo(total: number, counts: readonly number[]): number[] {
  return [...new Set([...counts.filter((n) => n < total), total])];
}

const settings = (redisUrl: string | undefined): SoakSettings => ({
  seconds,
  warmupFraction: 0.2,
  warmupLogins: 6_000,
  users: 32,
  sampleSeconds: 5,
  // Read latency at 10k, then every step up to the total (1M: 10k, 100k, 250k, 500k, 1M).
  fillLevels: upTo(sessions, [10_000, 100_000, 250_000, 500_000]),
  readsPerLevel: 3_000,
  memoryLevels: [
    MEMORY_MAX_ENTRIES / 2,
    MEMORY_MAX_ENTRIES,
    2 * MEMORY_MAX_ENTRIES,
    100_000,
    sessions,
  ],
  memoryLogins: 3 * MEMORY_MAX_ENTRIES,
  redisUrl,
});

process.once("exit", killAllServersNow);
const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};
const redisUrl = stores.includes("redis") ? (await redisForRun()).url : undefined;
const reports: StoreReport[] = [];
for (const store of stores) {
  reports.push(await soakStore(store, settings(redisUrl), FULL_BOUNDS, log));
}
process.stdout.write(`\n${reports.map(formatStore).join("\n\n")}\n`);
const failed = reports.flatMap((report) => report.checks.filter((check) => !check.ok));

const dir = join(import.meta.dirname, "../../.bench/soak");
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ node: process.version, settings: settings(redisUrl), bounds: FULL_BOUNDS, reports }, null, 2)}\n`,
);
process.stdout.write(
  `\nreport written to ${file}\n${failed.length === 0 ? "every bound held" : `${failed.length} bound(s) broken`}\n`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
