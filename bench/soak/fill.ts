/**
 * Many sessions: the store filled through its own API (the server's POST /__soak/fill), with
 * session reads through the server measured at each level, and, for the memory store, the
 * number of sessions it keeps counted at each level.
 */
import type { IdSigner } from "../../src/transport/id-signers.ts";
import { SESSION_COOKIE, type SoakClient } from "./client.ts";
import { fillId, fillUsername } from "./fill-ids.ts";
import type { Sample } from "./sampler.ts";
import type { Tally } from "./tally.ts";

/** Records per fill request: a few seconds of work for the server, so progress shows. */
const CHUNK = 25_000;
/** Reads before each measurement, not counted: the connection and caches settle. */
const WARM_READS = 200;

export interface FillLevel {
  readonly sessions: number;
  /** Seconds the fill from the previous level took. */
  readonly fillSeconds: number;
  readonly read?: {
    readonly count: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly meanMs: number;
  };
  /** Live sessions the store reports (memory store only). */
  readonly stored?: number;
  readonly sample: Sample;
}

export async function getJson<T>(client: SoakClient, method: string, path: string): Promise<T> {
  const answer = await client.send(method, path);
  if (answer.status !== 200)
    throw new Error(`${method} ${path} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as T;
}

async function fillTo(
  control: SoakClient,
  from: number,
  to: number,
  log: (line: string) => void,
): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    const count = Math.min(CHUNK, to - start);
    await getJson(control, "POST", `/__soak/fill?start=${start}&count=${count}`);
    if ((start + count) % 100_000 === 0) log(`  filled ${start + count}`);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Rounds of reads at each level: the p50 is the lowest round's, so a neighbour's burst on a
 * shared machine during one round does not pass for growth (p99 and mean are over all reads).
 */
const ROUNDS = 3;

/** Reads random fill sessions below `filled`, one at a time; each must come back as written. */
async function measureReads(
  probe: SoakClient,
  signer: IdSigner,
  filled: number,
  reads: number,
  tally: Tally,
): Promise<FillLevel["read"]> {
  const all: number[] = [];
  const roundP50s: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const times: number[] = [];
    const perRound = Math.ceil(reads / ROUNDS);
    for (let i = 0; i < (round === 0 ? WARM_READS : 0) + perRound; i++) {
      const index = Math.floor(Math.random() * filled);
      const id = fillId(index);
      const cookie = `${SESSION_COOKIE}=${id}.${signer.sign(id)}`;
      const started = performance.now();
      const answer = await probe.send("GET", "/me", cookie);
      const elapsed = performance.now() - started;
      tally.answered("fill-read", answer.status);
      const username =
        answer.status === 200
          ? (JSON.parse(answer.body) as { username: string }).username
          : undefined;
      if (username !== fillUsername(index)) {
        tally.violate("lost-session", `fill session ${index}: ${answer.status} ${answer.body}`);
      }
      if (round > 0 || i >= WARM_READS) times.push(elapsed);
    }
    times.sort((a, b) => a - b);
    roundP50s.push(percentile(times, 50));
    all.push(...times);
  }
  all.sort((a, b) => a - b);
  return {
    count: all.length,
    p50Ms: Math.min(...roundP50s),
    p99Ms: percentile(all, 99),
    meanMs: all.reduce((sum, t) => sum + t, 0) / all.length,
  };
}

export interface FillOptions {
  readonly control: SoakClient;
  readonly probe: SoakClient;
  readonly signer: IdSigner;
  readonly tally: Tally;
  readonly levels: readonly number[];
  /** Reads measured at each level; 0 to count stored sessions instead (memory store). */
  readonly readsPerLevel: number;
  readonly log: (line: string) => void;
}

export async function fillLevels(options: FillOptions): Promise<FillLevel[]> {
  const { control, probe, signer, tally, readsPerLevel, log } = options;
  const results: FillLevel[] = [];
  let filled = 0;
  for (const level of options.levels) {
    const started = performance.now();
    await fillTo(control, filled, level, log);
    const fillSeconds = (performance.now() - started) / 1000;
    filled = level;
    const read =
      readsPerLevel > 0
        ? await measureReads(probe, signer, filled, readsPerLevel, tally)
        : undefined;
    const stored =
      readsPerLevel > 0
        ? undefined
        : (await getJson<{ count: number }>(control, "GET", "/__soak/count")).count;
    const sample = await getJson<Sample>(control, "GET", "/__soak/sample");
    results.push({
      sessions: level,
      fillSeconds,
      ...(read === undefined ? {} : { read }),
      ...(stored === undefined ? {} : { stored }),
      sample,
    });
    log(
      `  ${level} sessions: ${read ? `read p50 ${read.p50Ms.toFixed(3)} ms, p99 ${read.p99Ms.toFixed(3)} ms` : `${stored} kept`}, heap ${(sample.heapUsedBytes / 1048576).toFixed(1)} MiB, RSS ${(sample.rssBytes / 1048576).toFixed(1)} MiB (fill ${fillSeconds.toFixed(1)} s)`,
    );
  }
  return results;
}
