/**
 * `npm run bench`: requests/s of each contender next to the floors (the same answer without the
 * session work) and peers, as ratios measured side by side in one run. Each server runs in its
 * own child process; autocannon loads them from this process one at a time, in rounds with the
 * order rotated, so slow drifts of a shared machine spread over every contender instead of
 * landing on one.
 *
 * Settings by env: BENCH_DURATION (s per measured window), BENCH_WARMUP (s), BENCH_ROUNDS,
 * BENCH_CONNECTIONS, BENCH_ONLY (comma-separated names), BENCH_CPU_PROF (a directory: servers
 * run with --cpu-prof and write <contender>.cpuprofile there; see top-self-time.ts).
 * Contenders on Redis share one Redis, found before any server starts (redis.ts): REDIS_URL,
 * 127.0.0.1:6379, or one the tests' helper starts. Contenders on PostgreSQL share one database
 * (postgres.ts): BENCH_DATABASE_URL, DATABASE_URL or 127.0.0.1:5432, each server in a table of
 * its own, none left when the run ends.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { killAllServersNow, type ServerChild, startServer, stopAllServers } from "./children.ts";
import { type Contender, selectContenders } from "./contenders.ts";
import { type LoadTarget, verifyTarget } from "./http.ts";
import { runWindow, stopLoad, type Window } from "./load.ts";
import { dropRunTables, postgresForRun, type RunPostgres, tableForContender } from "./postgres.ts";
import { type RunRedis, redisForRun } from "./redis.ts";
import { describeMachine, summarize, toMarkdown } from "./report.ts";
import { readSettings, type Settings } from "./settings.ts";

const RESULTS_FILE = resolve(import.meta.dirname, "..", ".bench", "results.json");

interface Ready {
  readonly contender: Contender;
  readonly server: ServerChild;
  readonly target: LoadTarget;
  readonly windows: Window[];
}

async function main(): Promise<void> {
  const settings = readSettings();
  const contenders = selectContenders(settings.only);
  const scratch = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  process.once("exit", () => {
    // Synchronous last resort for every way out, errors included.
    killAllServersNow();
    rmSync(scratch, { recursive: true, force: true });
  });
  if (settings.cpuProfileDir !== undefined) mkdirSync(settings.cpuProfileDir, { recursive: true });
  const redis = contenders.some((contender) => contender.usesRedis)
    ? await redisForRun()
    : undefined;
  if (redis !== undefined) log(`Redis ${redis.version} at ${redis.url}`);
  const postgres = contenders.some((contender) => contender.usesPostgres)
    ? await postgresForRun()
    : undefined;
  if (postgres !== undefined) {
    log(`PostgreSQL ${postgres.version} at ${postgres.shownUrl}`);
    runPostgres = postgres;
  }

  // Described now: the load average it reports is the one the run started with.
  const machine = describeMachine(autocannonVersion(), redis, postgres);

  // A few at a time: forty servers booting at once on two cores outlast the start timeout.
  const ready = await mapLimited(contenders, availableParallelism(), (contender) =>
    launch(contender, scratch, settings, redis, postgres),
  );
  for (const round of Array.from({ length: settings.rounds }, (_, index) => index)) {
    for (const entry of rotate(ready, round)) {
      log(`round ${round + 1}/${settings.rounds}: ${entry.contender.name}`);
      const { origin, pid } = entry.server;
      await runWindow(origin, pid, entry.target, settings, settings.warmupSeconds);
      entry.windows.push(
        await runWindow(origin, pid, entry.target, settings, settings.durationSeconds),
      );
    }
  }
  // Stopped before reporting so --cpu-prof profiles are on disk when the table appears.
  await stopAllServers();
  await dropLeftoverTables();

  const results = summarize(ready.map(({ contender, windows }) => ({ contender, windows })));
  process.stdout.write(toMarkdown(results, machine, settings));
  mkdirSync(resolve(RESULTS_FILE, ".."), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ finishedAt: new Date().toISOString(), machine, settings, results }, null, 2)}\n`,
  );
  log(`results written to ${RESULTS_FILE}`);
}

/** Starts a contender's server, brings it to the state under test and checks its answers. */
async function launch(
  contender: Contender,
  scratch: string,
  settings: Settings,
  redis: RunRedis | undefined,
  postgres: RunPostgres | undefined,
): Promise<Ready> {
  const profileFlags =
    settings.cpuProfileDir === undefined
      ? []
      : [
          "--cpu-prof",
          `--cpu-prof-dir=${settings.cpuProfileDir}`,
          `--cpu-prof-name=${contender.name}.cpuprofile`,
        ];
  const server = await startServer(
    contender.server,
    {
      ...contender.env,
      BENCH_DB_PATH: join(scratch, `${contender.name}.db`),
      ...(contender.usesRedis && redis !== undefined ? { BENCH_REDIS_URL: redis.url } : {}),
      ...(contender.usesPostgres && postgres !== undefined
        ? {
            BENCH_DATABASE_URL: postgres.url,
            BENCH_PG_TABLE: tableForContender(contender.name),
            // The floors keep a row for each connection, as the others get a session each.
            BENCH_SESSIONS: String(settings.connections),
          }
        : {}),
    },
    profileFlags,
  );
  try {
    const target = await contender.prepare(server.origin, settings.connections);
    await verifyTarget(server.origin, target);
    return { contender, server, target, windows: [] };
  } catch (error) {
    throw new Error(`contender ${contender.name} is not ready to measure: ${describe(error)}`, {
      cause: error,
    });
  }
}

/** `map` with at most `limit` calls of `fn` pending at once; results in the order of `items`. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Round r starts at the r-th contender, so no contender always runs first or last. */
function rotate<T>(items: readonly T[], round: number): T[] {
  const start = items.length === 0 ? 0 : round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

function autocannonVersion(): string {
  const path = createRequire(import.meta.url).resolve("autocannon/package.json");
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

/** Progress goes to stderr, so stdout carries only the table. */
function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The PostgreSQL of this run, once found: its tables are dropped however the run ends. */
let runPostgres: RunPostgres | undefined;

/**
 * Each server drops its own table when it stops; this drops any a server could not (killed
 * first), so the database keeps none of this run's tables.
 */
async function dropLeftoverTables(): Promise<void> {
  if (runPostgres === undefined) return;
  try {
    const dropped = await dropRunTables(runPostgres.url);
    if (dropped.length > 0) log(`dropped tables the servers left behind: ${dropped.join(", ")}`);
  } catch (error) {
    log(`could not check PostgreSQL for this run's tables: ${describe(error)}`);
  }
}

async function shutDown(exitCode: number): Promise<never> {
  stopLoad();
  await stopAllServers();
  await dropLeftoverTables();
  process.exit(exitCode);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the servers`);
    void shutDown(signal === "SIGINT" ? 130 : 143);
  });
}

main().catch((error: unknown) => {
  console.error("bench failed:", error);
  void shutDown(1);
});
