/**
 * What every micro-benchmark file exports: its groups, each a list of named cases. main.ts hands
 * them to mitata; test/bench/micro.test.ts runs each case's body once and checks its result, so
 * a benchmark cannot quietly measure an error path.
 */
export interface MicroCase {
  readonly name: string;
  /** The measured body. It returns what it computed, for the test (and so it is not optimised away). */
  readonly fn: () => unknown;
  /** The body returns a promise that settles when the work is done (mitata then awaits it). */
  readonly async?: true;
}

export interface MicroGroup {
  readonly name: string;
  readonly cases: readonly MicroCase[];
}

/** The secret every benchmark signs, seals and derives keys with: fixed, and for nothing else. */
export const SECRET = "tessera micro-benchmarks: a fixed secret, never a real one";
