/** The run's settings: defaults sized for a full run in about a minute and a half, env overrides. */

export interface Settings {
  /** Seconds of each measured window. */
  readonly durationSeconds: number;
  /** Seconds of load before each window, thrown away: JIT, connection setup, SQLite page cache. */
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** Always 1: browsers do not pipeline, and pipelining would hide per-request costs. */
  readonly pipelining: 1;
  /** Contender names to run; undefined runs them all. */
  readonly only: readonly string[] | undefined;
  /** Directory for --cpu-prof profiles of the servers; undefined profiles nothing. */
  readonly cpuProfileDir: string | undefined;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const only = env.BENCH_ONLY?.split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return {
    durationSeconds: positiveNumber(env, "BENCH_DURATION", 3),
    warmupSeconds: positiveNumber(env, "BENCH_WARMUP", 1),
    rounds: positiveInteger(env, "BENCH_ROUNDS", 3),
    connections: positiveInteger(env, "BENCH_CONNECTIONS", 50),
    pipelining: 1,
    only: only === undefined || only.length === 0 ? undefined : only,
    cpuProfileDir: env.BENCH_CPU_PROF === "" ? undefined : env.BENCH_CPU_PROF,
  };
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
