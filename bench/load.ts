/**
 * One window of load on one server: wrk (Debian's, a C load generator) pinned to the load core,
 * one thread, the run's connections, keep-alive, no pipelining. wrk rather than autocannon in
 * this process: autocannon costs more CPU per request than the servers it loads, so on two cores
 * it could not saturate a floor, and it shared a core with them.
 *
 * A Lua script, written once per contender, sends each request its headers (rotating through
 * the per-connection sessions, when there are several) and prints the window's figures as one
 * JSON line when wrk is done.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { coreTicks, cpuSecondsOf } from "./cpu.ts";
import type { LoadTarget } from "./http.ts";
import type { Settings } from "./settings.ts";

const run = promisify(execFile);

export interface Window {
  /** 2xx (and 3xx) responses per second of the window. */
  readonly requestsPerSecond: number;
  /** Responses of 400 and above. */
  readonly non2xx: number;
  /** Connection, read and write errors. */
  readonly errors: number;
  readonly timeouts: number;
  /** Median and 99th percentile latency, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU seconds per wall second (1 = the whole core); undefined without /proc. */
  readonly serverBusy: number | undefined;
  /**
   * The share of the window the server's core was not idle, whoever used it: 1 means the server
   * never waited for requests (the load generator kept up). Undefined without /proc.
   */
  readonly coreBusy: number | undefined;
  /** Server CPU microseconds per good response; undefined without /proc. */
  readonly serverCpuMicrosPerRequest: number | undefined;
}

/** What the Lua script's `done` prints. */
interface WrkSummary {
  readonly requests: number;
  readonly durationUs: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly status: number;
  readonly timeout: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/** A slower response is an error worth seeing, not a data point. */
const TIMEOUT_SECONDS = 5;

let current: AbortController | undefined;

/**
 * Writes the contender's wrk script into `dir`: its requests, made once by `init` with
 * wrk.format, and the summary line. A single header set is sent as wrk's static request (no
 * Lua call per request); several rotate, request by request.
 */
export function writeWrkScript(dir: string, name: string, target: LoadTarget): string {
  const sets = target.connectionHeaders ?? [target.headers];
  const lua = (value: string): string => JSON.stringify(value);
  const table = (headers: Readonly<Record<string, string>>): string =>
    `{${Object.entries(headers)
      .map(([header, value]) => `[${lua(header)}] = ${lua(value)}`)
      .join(", ")}}`;
  const requests =
    sets.length <= 1
      ? `wrk.method = ${lua(target.method)}\nwrk.headers = ${table(sets[0] ?? {})}\n`
      : [
          "local requests = {}",
          "local next_index = 0",
          "function init(args)",
          ...sets.map(
            (headers) =>
              `  requests[#requests + 1] = wrk.format(${lua(target.method)}, nil, ${table(headers)})`,
          ),
          "end",
          "function request()",
          "  next_index = next_index % #requests + 1",
          "  return requests[next_index]",
          "end",
          "",
        ].join("\n");
  const done = `function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
  const path = join(dir, `${name}.lua`);
  writeFileSync(path, `${requests}${done}`);
  return path;
}

export async function runWindow(
  origin: string,
  serverPid: number,
  target: LoadTarget,
  script: string,
  settings: Settings,
  seconds: number,
): Promise<Window> {
  const url = new URL(target.path, origin).href;
  const controller = new AbortController();
  current = controller;
  const cpuBefore = cpuSecondsOf(serverPid);
  const coreBefore = coreTicks(settings.serverCpu);
  let stdout: string;
  try {
    ({ stdout } = await run(
      "taskset",
      [
        "-c",
        String(settings.loadCpu),
        "wrk",
        "-t1",
        `-c${settings.connections}`,
        `-d${seconds}s`,
        `--timeout=${TIMEOUT_SECONDS}s`,
        "-s",
        script,
        url,
      ],
      { signal: controller.signal },
    ));
  } finally {
    current = undefined;
  }
  const cpuAfter = cpuSecondsOf(serverPid);
  const coreAfter = coreTicks(settings.serverCpu);
  const summary = parseSummary(stdout);
  const duration = summary.durationUs / 1e6;
  const good = summary.requests - summary.status;
  // wrk's own start and stop fall outside its duration but inside the CPU samples: the server
  // is idle then, but for accepting and closing the connections.
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return {
    requestsPerSecond: good / duration,
    non2xx: summary.status,
    errors: summary.connect + summary.read + summary.write,
    timeouts: summary.timeout,
    p50Ms: summary.p50Us / 1000,
    p99Ms: summary.p99Us / 1000,
    serverBusy: cpu === undefined ? undefined : cpu / duration,
    coreBusy:
      coreBefore === undefined || coreAfter === undefined || coreAfter.total === coreBefore.total
        ? undefined
        : 1 - (coreAfter.idle - coreBefore.idle) / (coreAfter.total - coreBefore.total),
    serverCpuMicrosPerRequest: cpu === undefined || good <= 0 ? undefined : (cpu * 1e6) / good,
  };
}

function parseSummary(stdout: string): WrkSummary {
  const line = stdout
    .split("\n")
    .reverse()
    .find((candidate) => candidate.startsWith("{"));
  if (line === undefined) {
    throw new Error(`wrk printed no summary line; its output was:\n${stdout.slice(0, 2000)}`);
  }
  return JSON.parse(line) as WrkSummary;
}

/** Ends the window in progress, if any (on Ctrl-C). */
export function stopLoad(): void {
  current?.abort();
}
