/**
 * CPU time a server process has used, from /proc (Linux). Sampled around a measured window it
 * tells whether the server was saturated (near 100% of a core: requests/s measures the server)
 * or the load generator was the bottleneck (well below: ratios get squeezed toward 1), and
 * gives CPU per request, which shared-machine noise disturbs less than wall-clock throughput.
 */
import { readFileSync } from "node:fs";

/** Seconds of user + system CPU the process has used; undefined where /proc is unavailable. */
export function cpuSecondsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
}

/**
 * Ticks core `cpu` spent idle and in all, from /proc/stat; undefined where it
 * is unavailable. Sampled around a window, the idle share tells whether the server's core ever
 * waited for work: if the load generator fell behind, the core would sit idle, whoever else
 * (another tenant, a store) used it meanwhile.
 */
export function coreTicks(cpu: number): { idle: number; total: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const line = stat.split("\n").find((candidate) => candidate.startsWith(`cpu${cpu} `));
  if (line === undefined) return undefined;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  // Idle only: iowait is a server blocked on its disk (SQLite), not one waiting for requests.
  return { idle: ticks[3] ?? 0, total };
}

/** USER_HZ, 100 on every mainstream Linux build; Node has no sysconf to ask. */
const CLOCK_TICKS_PER_SECOND = 100;
