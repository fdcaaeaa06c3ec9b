/**
 * Turns the measured windows into ratios against the floors and peers, as a Markdown table and
 * as JSON. Absolute requests/s drift on a shared machine; the ratios between windows run side
 * by side are the result.
 */
import { cpus, loadavg, release, totalmem, type } from "node:os";
import type { Contender } from "./contenders.ts";
import type { Window } from "./load.ts";
import type { RunPostgres } from "./postgres.ts";
import type { RunRedis } from "./redis.ts";
import type { Settings } from "./settings.ts";

export interface ContenderRun {
  readonly contender: Contender;
  /** One window per round, in round order. */
  readonly windows: readonly Window[];
}

export interface Ratio {
  /** The contender compared with. */
  readonly baseline: string;
  /** A floor (a fraction of it is the cost of the session work) or a peer to beat (a multiple). */
  readonly role: "floor" | "peer";
  /** Contender median ÷ baseline median. */
  readonly ofMedians: number;
  /** Lowest and highest per-round ratio: how far the noise moved it. */
  readonly roundMin: number;
  readonly roundMax: number;
}

/** A goal of the contender's (`Contender.targets`) and whether this run met it. */
export interface TargetResult {
  readonly baseline: string;
  readonly atLeast: number;
  /** The ratio of medians; undefined when BENCH_ONLY left the baseline out. */
  readonly measured: number | undefined;
  readonly met: boolean | undefined;
}

export interface ContenderResult {
  readonly name: string;
  readonly kind: Contender["kind"];
  readonly description: string;
  readonly medianRequestsPerSecond: number;
  readonly roundRequestsPerSecond: readonly number[];
  /** Every measured window, in round order, for a closer look at the noise. */
  readonly windows: readonly Window[];
  readonly ratios: readonly Ratio[];
  readonly targets: readonly TargetResult[];
  readonly medianServerBusy: number | undefined;
  /** The share of its core not idle, in the window where that was least (see Window.coreBusy). */
  readonly lowestCoreBusy: number | undefined;
  readonly medianServerCpuMicrosPerRequest: number | undefined;
  /** Medians over the rounds of each window's median and 99th percentile latency, ms. */
  readonly medianP50Ms: number;
  readonly medianP99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Some response in a measured window failed: its throughput is not to be trusted. */
  readonly flagged: boolean;
}

export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly os: string;
  readonly memoryGiB: number;
  readonly loadAverageAtStart: readonly number[];
  readonly node: string;
  readonly wrk: string;
  /** Where the servers and wrk ran (`taskset`). */
  readonly pinning: { readonly serverCpu: number; readonly loadCpu: number };
  /** The Redis the Redis contenders shared, when any ran. */
  readonly redis?: RunRedis;
  /** The PostgreSQL the PostgreSQL contenders shared, when any ran. */
  readonly postgres?: { readonly url: string; readonly version: string };
}

export function describeMachine(
  wrkVersion: string,
  settings: Settings,
  redis?: RunRedis,
  postgres?: RunPostgres,
): Machine {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? "unknown",
    cpuCount: cores.length,
    os: `${type()} ${release()}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    // Other tenants' load is the main noise source here; it is worth having next to the figures.
    loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
    node: process.version,
    wrk: wrkVersion,
    pinning: { serverCpu: settings.serverCpu, loadCpu: settings.loadCpu },
    ...(redis === undefined ? {} : { redis }),
    // The URL without its password: the report and results.json are for sharing.
    ...(postgres === undefined
      ? {}
      : { postgres: { url: postgres.shownUrl, version: postgres.version } }),
  };
}

export function summarize(runs: readonly ContenderRun[], settings: Settings): ContenderResult[] {
  const byName = new Map(runs.map((run) => [run.contender.name, run]));
  return runs.map(({ contender, windows }) => {
    const perRound = windows.map((window) => window.requestsPerSecond);
    const ratios = contender.compareWith.flatMap((baselineName): Ratio[] => {
      const baseline = byName.get(baselineName);
      if (baseline === undefined) return []; // left out by BENCH_ONLY
      const baselinePerRound = baseline.windows.map((window) => window.requestsPerSecond);
      const roundRatios = perRound.map(
        (value, round) => value / (baselinePerRound[round] ?? Number.NaN),
      );
      return [
        {
          baseline: baselineName,
          role: baseline.contender.kind === "floor" ? "floor" : "peer",
          ofMedians: median(perRound) / median(baselinePerRound),
          roundMin: Math.min(...roundRatios),
          roundMax: Math.max(...roundRatios),
        },
      ];
    });
    const targets = (contender.targets ?? []).map((target): TargetResult => {
      const measured = ratios.find((ratio) => ratio.baseline === target.baseline)?.ofMedians;
      return {
        ...target,
        measured,
        met: measured === undefined ? undefined : measured >= target.atLeast,
      };
    });
    const sum = (pick: (window: Window) => number): number =>
      windows.reduce((total, window) => total + pick(window), 0);
    const non2xx = sum((window) => window.non2xx);
    const errors = sum((window) => window.errors);
    return {
      name: contender.name,
      kind: contender.kind,
      description: contender.description,
      medianRequestsPerSecond: median(perRound),
      roundRequestsPerSecond: perRound,
      windows,
      ratios,
      targets,
      medianServerBusy: medianDefined(windows.map((window) => window.serverBusy)),
      lowestCoreBusy: lowestDefined(windows.map((window) => window.coreBusy)),
      medianServerCpuMicrosPerRequest: medianDefined(
        windows.map((window) => window.serverCpuMicrosPerRequest),
      ),
      medianP50Ms: median(windows.map((window) => window.p50Ms)),
      medianP99Ms: median(windows.map((window) => window.p99Ms)),
      non2xx,
      errors,
      timeouts: sum((window) => window.timeouts),
      flagged: non2xx > 0 || errors > 0 || windows.length < settings.rounds,
    };
  });
}

/**
 * Why the run is invalid, one reason per floor whose server did not saturate its core in some
 * window: such a window measured the load generator (or another tenant), not the server, and
 * every ratio to that floor would be squeezed toward 1.
 */
export function unsaturatedFloors(
  results: readonly ContenderResult[],
  settings: Settings,
): string[] {
  return results
    .filter(
      (result) =>
        result.kind === "floor" &&
        result.lowestCoreBusy !== undefined &&
        result.lowestCoreBusy < settings.saturatedAbove,
    )
    .map(
      (result) =>
        `${result.name}'s core was only ${percent(result.lowestCoreBusy as number)} busy in one window (needs ${percent(settings.saturatedAbove)}): the server waited for requests`,
    );
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export function toMarkdown(
  results: readonly ContenderResult[],
  machine: Machine,
  settings: Settings,
  invalid: readonly string[] = [],
): string {
  const baselines = (role: Ratio["role"]): string[] => [
    ...new Set(
      results.flatMap((result) =>
        result.ratios.filter((ratio) => ratio.role === role).map((ratio) => ratio.baseline),
      ),
    ),
  ];
  // Floors first, then peers: a column per baseline that something in this run was compared with.
  const columns = [...baselines("floor"), ...baselines("peer")].map((name) => ({
    name,
    peer: results.some((result) =>
      result.ratios.some((ratio) => ratio.baseline === name && ratio.role === "peer"),
    ),
  }));
  const header = [
    "contender",
    "kind",
    "median req/s",
    ...columns.map((column) => (column.peer ? `vs ${column.name}` : `÷ ${column.name}`)),
    "p50 / p99 ms",
    "server CPU µs/req",
    "server busy / core busy (least)",
    "non-2xx / errors",
  ];
  const rows = results.map((result) => [
    result.flagged ? `⚠ ${result.name}` : result.name,
    result.kind,
    Math.round(result.medianRequestsPerSecond).toString(),
    ...columns.map((column) =>
      formatRatio(result.ratios.find((ratio) => ratio.baseline === column.name)),
    ),
    `${result.medianP50Ms.toFixed(2)} / ${result.medianP99Ms.toFixed(2)}`,
    result.medianServerCpuMicrosPerRequest === undefined
      ? "n/a"
      : Math.round(result.medianServerCpuMicrosPerRequest).toString(),
    `${result.medianServerBusy === undefined ? "n/a" : percent(result.medianServerBusy)} / ${result.lowestCoreBusy === undefined ? "n/a" : percent(result.lowestCoreBusy)}`,
    `${result.non2xx} / ${result.errors}`,
  ]);
  const table = [header, header.map(() => "---"), ...rows]
    .map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
  const flagged = results.filter((result) => result.flagged).map((result) => result.name);
  const targets = results.flatMap((result) =>
    result.targets.map((target) => {
      const goal = `${result.name} ${target.baseline.includes("floor") ? "÷" : "vs"} ${target.baseline} ≥ ${target.atLeast}`;
      if (target.measured === undefined)
        return `- ${goal}: not measured (${target.baseline} did not run)`;
      return `- ${goal}: ${target.measured.toFixed(2)}, ${target.met ? "met" : "**not met**"}`;
    }),
  );
  return [
    "## tessera benchmark",
    "",
    ...(invalid.length === 0
      ? []
      : [
          `**INVALID RUN**: ${invalid.join("; ")}. A floor that does not saturate its core measured the load generator or another tenant, not the server.`,
          "",
        ]),
    `- Machine: ${machine.cpuModel} × ${machine.cpuCount}, ${machine.memoryGiB} GiB, ${machine.os}; load average at start ${machine.loadAverageAtStart.join(" / ")}`,
    `- Node ${machine.node}; ${machine.wrk}, one thread, pinned to core ${machine.pinning.loadCpu}; each server in its own process, all its threads pinned to core ${machine.pinning.serverCpu}`,
    ...(machine.redis === undefined
      ? []
      : [
          `- Redis ${machine.redis.version} at ${machine.redis.url}, shared by the Redis contenders (each with its own key prefix), on the same machine`,
        ]),
    ...(machine.postgres === undefined
      ? []
      : [
          `- PostgreSQL ${machine.postgres.version} at ${machine.postgres.url}, shared by the PostgreSQL contenders (each with its own table, every one on the same pg Pool settings), on the same machine`,
        ]),
    `- Settings: ${settings.quick ? "--quick, " : ""}${settings.rounds} rounds × ${settings.durationSeconds} s measured per contender (after ${settings.warmupSeconds} s of warm-up, discarded, before the first), ${settings.connections} keep-alive connections, no pipelining, contender order rotated each round; a floor's core must be ${percent(settings.saturatedAbove)} busy in every window`,
    "",
    table,
    "",
    "÷ floor: the contender's median over the floor's median; in parentheses the lowest and highest ratio of single rounds (contender and floor measured in the same round).",
    ...(columns.some((column) => column.peer)
      ? [
          "vs peer: the same ratio against a peer to beat, as a multiple of its throughput (2.50× = two and a half times the peer's requests/s).",
        ]
      : []),
    "p50 / p99: medians over the rounds of wrk's latency percentiles. Server CPU µs/req and busy come from /proc: CPU time of the server process (all its threads, kernel time included) per good response, and over the window's wall time. Server busy is the server process's share of its core (other tenants take the rest); core busy is the share of the window its core was not idle, in the least busy window: below 90% the server waited for requests, and for a floor that makes the run invalid.",
    ...(targets.length > 0 ? ["", "Targets (ratio of medians):", "", ...targets] : []),
    ...(flagged.length > 0
      ? [
          ``,
          `⚠ Failed responses in measured windows, throughput not comparable: ${flagged.join(", ")}.`,
        ]
      : []),
    "",
  ].join("\n");
}

function formatRatio(ratio: Ratio | undefined): string {
  if (ratio === undefined) return "—";
  const times = ratio.role === "peer" ? "×" : "";
  return `${ratio.ofMedians.toFixed(2)}${times} (${ratio.roundMin.toFixed(2)}–${ratio.roundMax.toFixed(2)})`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

function lowestDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

function medianDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : median(defined);
}
