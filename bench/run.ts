/**
 * `npm run bench [-- --quick]`: requests/s of each contender next to the floors (the same answer
 * without the session work) and peers, as ratios measured side by side in one run. Each server
 * runs in its own child process pinned to one core (all its threads); wrk, pinned to another,
 * loads them one at a time, in rounds with the order rotated, so slow drifts of a shared
 * machine spread over every contender instead of landing on one. A floor whose server did not
 * saturate its core in some window makes the run invalid: it then measured the load generator.
 *
 * Settings by env (settings.ts): BENCH_DURATION (s per measured window), BENCH_WARMUP (s),
 * BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_SERVER_CPU, BENCH_LOAD_CPU, BENCH_ONLY
 * (comma-separated names), BENCH_CPU_PROF (a directory: servers run with --cpu-prof and write
 * <contender>.cpuprofile there; see top-self-time.ts).
 * Contenders on Redis share one Redis, found before any server starts (redis.ts): REDIS_URL,
 * 127.0.0.1:6379, or one the tests' helper starts. Contenders on PostgreSQL share one database
 * (postgres.ts): BENCH_DATABASE_URL, DATABASE_URL or 127.0.0.1:5432, each server in a table of
 * its own, none left when the run ends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chartSvg } from "./chart.ts";
import {
  killAllServersNow,
  pinToCore,
  type ServerChild,
  startServer,
  stopAllServers,
} from "./children.ts";
import { type Contender, selectContenders } from "./contenders.ts";
import { type LoadTarget, verifyTarget } from "./http.ts";
import { runWindow, stopLoad, type Window, writeWrkScript } from "./load.ts";
import { dropRunTables, postgresForRun, type RunPostgres, tableForContender } from "./postgres.ts";
import { type RunRedis, redisForRun } from "./redis.ts";
import { describeMachine, summarize, toMarkdown, unsaturatedFloors } from "./report.ts";
import { readSettings, type Settings } from "./settings.ts";
import { ensureWrk } from "./wrk.ts";

const RESULTS_DIR = resolve(import.meta.dirname, "results");

interface Ready {
  readonly contender: Contender;
  readonly server: ServerChild;
  readonly target: LoadTarget;
  readonly script: string;
  readonly windows: Window[];
}

async function main(): Promise<void> {
  const settings = readSettings();
  const contenders = selectContenders(settings.only, settings.quick);
  const wrkVersion = ensureWrk(log);
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
  const machine = describeMachine(wrkVersion, settings, redis, postgres);

  // A few at a time: forty servers booting at once on two cores outlast the start timeout.
  const ready = await mapLimited(contenders, availableParallelism(), (contender) =>
    launch(contender, scratch, settings, redis, postgres),
  );
  // Pinned once all are up: booting forty servers on one core would outlast the start timeout.
  for (const { server } of ready) pinToCore(server.pid, settings.serverCpu);
  for (const round of Array.from({ length: settings.rounds }, (_, index) => index)) {
    for (const entry of rotate(ready, round)) {
      log(`round ${round + 1}/${settings.rounds}: ${entry.contender.name}`);
      const { origin, pid } = entry.server;
      if (round === 0) {
        await runWindow(origin, pid, entry.target, entry.script, settings, settings.warmupSeconds);
      }
      entry.windows.push(
        await runWindow(
          origin,
          pid,
          entry.target,
          entry.script,
          settings,
          settings.durationSeconds,
        ),
      );
    }
  }
  // Stopped before reporting so --cpu-prof profiles are on disk when the table appears.
  await stopAllServers();
  await dropLeftoverTables();

  const results = summarize(
    ready.map(({ contender, windows }) => ({ contender, windows })),
    settings,
  );
  const invalid = unsaturatedFloors(results, settings);
  const markdown = toMarkdown(results, machine, settings, invalid);
  process.stdout.write(markdown);
  const finishedAt = new Date().toISOString();
  // A partial run never overwrites the day's full one, and neither does an invalid run.
  const suffix =
    (settings.only !== undefined ? "-only" : settings.quick ? "-quick" : "") +
    (invalid.length > 0 ? "-invalid" : "");
  const base = join(RESULTS_DIR, `${finishedAt.slice(0, 10)}${suffix}`);
  const file = { finishedAt, valid: invalid.length === 0, invalid, machine, settings, results };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(file, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.svg`, chartSvg(file));
  log(`results written to ${base}.json (table: ${base}.md), chart to ${base}.svg`);
  if (invalid.length > 0) {
    log(
      `INVALID RUN: ${invalid.join("; ")}. A floor that does not saturate its core measured the load generator or another tenant, not the server; rerun on a quieter machine.`,
    );
    process.exitCode = 1;
  }
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
    const script = writeWrkScript(scratch, contender.name, target);
    return { contender, server, target, script, windows: [] };
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
