/**
 * The run's settings: two run lengths (`--quick`, and the full run), env overrides for each
 * figure, and the cores the servers and the load generator are pinned to.
 */
import { availableParallelism } from "node:os";

export interface Settings {
  /** `--quick`: the contenders the issues set targets for, in fewer, shorter rounds. */
  readonly quick: boolean;
  /** Seconds of each measured window (whole seconds: wrk takes no fractions). */
  readonly durationSeconds: number;
  /**
   * Seconds of load before a contender's first window, thrown away: JIT, connection setup,
   * SQLite page cache. The servers stay up between rounds, so later rounds need none.
   */
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** The core every server runs on (all its threads), as Node runs one process per core. */
  readonly serverCpu: number;
  /** The core wrk runs on. */
  readonly loadCpu: number;
  /**
   * A floor window whose server used less than this share of its core did not measure the
   * server (the load generator, or another tenant, set the pace): the run is invalid.
   */
  readonly saturatedAbove: number;
  /** Contender names to run; undefined runs the run length's set. */
  readonly only: readonly string[] | undefined;
  /** Directory for --cpu-prof profiles of the servers; undefined profiles nothing. */
  readonly cpuProfileDir: string | undefined;
}

export function readSettings(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const unknown = argv.filter((arg) => arg !== "--quick");
  if (unknown.length > 0) {
    throw new Error(
      `Unknown argument ${JSON.stringify(unknown[0])}: npm run bench [-- --quick]; settings go in env (bench/README.md).`,
    );
  }
  const quick = argv.includes("--quick");
  const only = env.BENCH_ONLY?.split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const cores = availableParallelism();
  if (cores < 2) {
    throw new Error(
      "The benchmark pins the servers to one core and wrk to another: it needs at least 2 cores.",
    );
  }
  const serverCpu = cpuNumber(env, "BENCH_SERVER_CPU", 0, cores);
  const loadCpu = cpuNumber(env, "BENCH_LOAD_CPU", serverCpu === 1 ? 0 : 1, cores);
  if (serverCpu === loadCpu) {
    throw new Error(`BENCH_SERVER_CPU and BENCH_LOAD_CPU are both ${serverCpu}; pick two cores.`);
  }
  return {
    quick,
    durationSeconds: positiveInteger(env, "BENCH_DURATION", 1),
    warmupSeconds: positiveInteger(env, "BENCH_WARMUP", 1),
    rounds: positiveInteger(env, "BENCH_ROUNDS", quick ? 3 : 7),
    connections: positiveInteger(env, "BENCH_CONNECTIONS", 32),
    serverCpu,
    loadCpu,
    saturatedAbove: positiveNumber(env, "BENCH_SATURATED", 0.9),
    only: only === undefined || only.length === 0 ? undefined : only,
    cpuProfileDir: env.BENCH_CPU_PROF === "" ? undefined : env.BENCH_CPU_PROF,
  };
}

function cpuNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, cores: number): number {
  const raw = env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value >= cores) {
    throw new Error(
      `${name} must be a core number from 0 to ${cores - 1}; got ${JSON.stringify(raw)}.`,
    );
  }
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number; got ${JSON.stringify(raw)}.`);
  }
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value)) {
    throw new Error(`${name} must be a whole number; got ${JSON.stringify(env[name])}.`);
  }
  return value;
}
