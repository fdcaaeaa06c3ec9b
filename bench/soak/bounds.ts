/**
 * The soak's bounds, stated as numbers, and the checks that hold a run to them. The full run
 * (`npm run soak`) uses FULL_BOUNDS; the short form in `npm test` uses TEST_BOUNDS, looser on
 * memory (a 20-second window says less) and never about time: checks marked `timing` are
 * reported there but not asserted, since a shared CI machine makes any latency meaningless.
 */
import type { Sample } from "./sampler.ts";

export interface Bounds {
  /** Heap after GC in the last third ≤ baseline × (1 + fraction) + bytes. */
  readonly heapGrowthFraction: number;
  readonly heapGrowthBytes: number;
  /** Least-squares slope of heap after GC over the run after warm-up; undefined: not checked. */
  readonly heapSlopeBytesPerMinute: number | undefined;
  /** RSS in the last third ≤ baseline × (1 + fraction) + bytes (the allocator keeps pages). */
  readonly rssGrowthFraction: number;
  readonly rssGrowthBytes: number;
  /** Each resource type, except sockets, at rest ≤ its count at the baseline + this. */
  readonly resourceSlack: number;
  /** Sockets at rest ≤ the client's connections + this (the sampler's, the store's, spares). */
  readonly socketSlack: number;
  /** Read p50 at the largest fill ≤ factor × p50 at the smallest + slack (timing). */
  readonly latencyGrowthFactor: number;
  readonly latencySlackMs: number;
}

const MiB = 1024 * 1024;

export const FULL_BOUNDS: Bounds = {
  heapGrowthFraction: 0.1,
  heapGrowthBytes: 2 * MiB,
  heapSlopeBytesPerMinute: 0.5 * MiB,
  rssGrowthFraction: 0.25,
  rssGrowthBytes: 16 * MiB,
  resourceSlack: 1,
  socketSlack: 4,
  latencyGrowthFactor: 2,
  latencySlackMs: 0.25,
};

export const TEST_BOUNDS: Bounds = {
  ...FULL_BOUNDS,
  heapGrowthFraction: 0.5,
  heapGrowthBytes: 8 * MiB,
  heapSlopeBytesPerMinute: undefined,
  rssGrowthFraction: 1,
  rssGrowthBytes: 64 * MiB,
};

export interface Check {
  readonly name: string;
  readonly bound: string;
  readonly value: string;
  readonly ok: boolean;
  /** About time (latency): reported, but not asserted where time means nothing (CI). */
  readonly timing?: boolean;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Slope of y over x by least squares; 0 with fewer than two points. */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

const SOCKET = "TCPSocketWrap";

/**
 * Memory flat and nothing left behind, over `settled`: the samples after warm-up, the first
 * being the baseline. The last third is by time.
 */
export function checkSamples(
  settled: readonly Sample[],
  bounds: Bounds,
  clientSockets: number,
): Check[] {
  const [baseline] = settled;
  const last = settled.at(-1);
  if (baseline === undefined || last === undefined || settled.length < 3) {
    return [
      { name: "samples", bound: "≥ 3 after warm-up", value: String(settled.length), ok: false },
    ];
  }
  const lastThirdFrom = last.at - (last.at - baseline.at) / 3;
  const lastThird = settled.filter((sample) => sample.at >= lastThirdFrom);
  const checks: Check[] = [];

  const heapMax = Math.max(...lastThird.map((sample) => sample.heapUsedBytes));
  const heapBound =
    baseline.heapUsedBytes * (1 + bounds.heapGrowthFraction) + bounds.heapGrowthBytes;
  checks.push({
    name: "heap after GC, last third",
    bound: `≤ ${mib(heapBound)} (baseline ${mib(baseline.heapUsedBytes)} + ${bounds.heapGrowthFraction * 100}% + ${mib(bounds.heapGrowthBytes)})`,
    value: `max ${mib(heapMax)}`,
    ok: heapMax <= heapBound,
  });
  const slope = leastSquaresSlope(
    settled.map((sample) => [sample.at / 60_000, sample.heapUsedBytes] as const),
  );
  if (bounds.heapSlopeBytesPerMinute !== undefined) {
    checks.push({
      name: "heap after GC, trend",
      bound: `≤ ${mib(bounds.heapSlopeBytesPerMinute)}/min`,
      value: `${mib(slope)}/min`,
      ok: slope <= bounds.heapSlopeBytesPerMinute,
    });
  }
  const rssMax = Math.max(...lastThird.map((sample) => sample.rssBytes));
  const rssBound = baseline.rssBytes * (1 + bounds.rssGrowthFraction) + bounds.rssGrowthBytes;
  checks.push({
    name: "RSS, last third",
    bound: `≤ ${mib(rssBound)} (baseline ${mib(baseline.rssBytes)} + ${bounds.rssGrowthFraction * 100}% + ${mib(bounds.rssGrowthBytes)})`,
    value: `max ${mib(rssMax)}`,
    ok: rssMax <= rssBound,
  });

  const types = new Set(settled.flatMap((sample) => Object.keys(sample.resources)));
  for (const type of [...types].sort()) {
    const counts = settled.map((sample) => sample.resources[type] ?? 0);
    const max = Math.max(...counts);
    const limit =
      type === SOCKET
        ? clientSockets + bounds.socketSlack
        : (baseline.resources[type] ?? 0) + bounds.resourceSlack;
    checks.push({
      name: `${type} at rest`,
      bound: `≤ ${limit}`,
      value: `${counts[0]} → ${counts.at(-1)} (max ${max})`,
      ok: max <= limit,
    });
  }
  for (const emitter of Object.keys(baseline.listeners)) {
    const counts = settled.map((sample) => sample.listeners[emitter] ?? 0);
    const limit = baseline.listeners[emitter] ?? 0;
    checks.push({
      name: `${emitter} listeners`,
      bound: `≤ ${limit} (the baseline's)`,
      value: `${counts[0]} → ${counts.at(-1)} (max ${Math.max(...counts)})`,
      ok: Math.max(...counts) <= limit,
    });
  }
  return checks;
}
