/** The soak's report as text: per store, the samples at start, baseline and end, then checks. */
import { mib } from "./bounds.ts";
import type { StoreReport } from "./run.ts";
import type { Sample } from "./sampler.ts";

function row(label: string, sample: Sample): string {
  const delay = sample.eventLoopDelayMs;
  const resources = Object.entries(sample.resources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type} ${count}`)
    .join(", ");
  const listeners = Object.entries(sample.listeners)
    .map(([emitter, count]) => `${emitter} ${count}`)
    .join(", ");
  return [
    `  ${label.padEnd(9)} t=${(sample.at / 1000).toFixed(0).padStart(4)} s  RSS ${mib(sample.rssBytes).padStart(10)}  heap ${mib(sample.heapUsedBytes).padStart(9)}`,
    `  loop delay p50 ${delay.p50.toFixed(1)} p99 ${delay.p99.toFixed(1)} max ${delay.max.toFixed(1)} ms`,
    `\n             resources: ${resources}; listeners: ${listeners}; connections ${sample.connections}`,
  ].join("");
}

export function formatStore(report: StoreReport): string {
  const lines: string[] = [];
  const baseline = report.samples[report.baselineIndex];
  const end = report.samples.at(-1);
  lines.push(
    `== ${report.store}: ${report.seconds} s mixed load, ${report.requests} requests, ${report.acknowledgedLogins} acknowledged logins, ${report.samples.length} samples`,
  );
  lines.push(row("start", report.start));
  if (baseline !== undefined) lines.push(row("baseline", baseline));
  if (end !== undefined) lines.push(row("end", end));
  const answers = Object.entries(report.answers)
    .map(
      ([op, byStatus]) =>
        `${op} ${Object.entries(byStatus)
          .map(([s, n]) => `${s}×${n}`)
          .join(" ")}`,
    )
    .join("; ");
  lines.push(`  answers: ${answers}`);
  for (const level of report.fill) {
    const read = level.read;
    lines.push(
      `  ${String(level.sessions).padStart(8)} sessions: ${read ? `read p50 ${read.p50Ms.toFixed(3)} ms p99 ${read.p99Ms.toFixed(3)} ms mean ${read.meanMs.toFixed(3)} ms (${read.count} reads)` : `${level.stored} kept`}; heap ${mib(level.sample.heapUsedBytes)}, RSS ${mib(level.sample.rssBytes)}; filled in ${level.fillSeconds.toFixed(1)} s`,
    );
  }
  if (report.memoryLogins !== undefined) {
    const m = report.memoryLogins;
    lines.push(
      `  ${m.count} logins past the bound: ${m.stored} kept; newest readable ${m.lastReadable}, oldest ${m.firstReadable} (LRU); heap ${mib(m.sample.heapUsedBytes)}, RSS ${mib(m.sample.rssBytes)}`,
    );
  }
  for (const check of report.checks) {
    lines.push(
      `  ${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.value}; bound ${check.bound}`,
    );
  }
  for (const example of report.examples) lines.push(`  ! ${example}`);
  return lines.join("\n");
}
