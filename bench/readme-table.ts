/**
 * README's benchmark table, from one results file: each contender with its ratio to its own
 * floor (the framework alone, or the store's round trips done by hand) and to bare node:http,
 * its peers, latency and CPU per request, then the targets. `--write` puts it into README.md
 * between the `bench-table` markers, so the table there always comes whole from one run:
 *
 *   node bench/readme-table.ts bench/results/2026-12-04.json [--write]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { ContenderResult, Ratio } from "./report.ts";

interface ResultsFile {
  readonly finishedAt: string;
  readonly valid: boolean;
  readonly machine: { readonly cpuModel: string; readonly cpuCount: number; readonly node: string };
  readonly settings: { readonly rounds: number; readonly durationSeconds: number };
  readonly results: readonly ContenderResult[];
}

const README = resolve(import.meta.dirname, "..", "README.md");
const START = "<!-- bench-table:start -->";
const END = "<!-- bench-table:end -->";

export function readmeTable(file: ResultsFile, source: string): string {
  const rows = file.results.map((result) => {
    const floors = result.ratios.filter((ratio) => ratio.role === "floor");
    const own = floors.find((ratio) => ratio.baseline !== "floor-bare");
    const bare = floors.find((ratio) => ratio.baseline === "floor-bare");
    const peers = result.ratios.filter((ratio) => ratio.role === "peer");
    return [
      result.kind === "floor" ? `${result.name} (floor)` : result.name,
      own === undefined ? "" : `${ratio(own)} ${own.baseline}`,
      bare === undefined ? "" : ratio(bare),
      peers.map((peer) => `${fixed(peer.ofMedians)}× ${peer.baseline}`).join(", "),
      `${fixed(result.medianP50Ms)} / ${fixed(result.medianP99Ms)}`,
      result.medianServerCpuMicrosPerRequest === undefined
        ? ""
        : Math.round(result.medianServerCpuMicrosPerRequest).toString(),
    ];
  });
  const header = [
    "contender",
    "÷ its own floor",
    "÷ bare node:http",
    "vs peers",
    "p50 / p99 ms",
    "CPU µs/req",
  ];
  const table = [header, header.map(() => "---"), ...rows]
    .map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
  const targets = file.results.flatMap((result) =>
    result.targets
      .filter((target) => target.measured !== undefined)
      .map(
        (target) =>
          `| ${result.name} | ${target.baseline} | ${target.atLeast} | ${fixed(target.measured)} | ${target.met ? "met" : "**not met**"} |`,
      ),
  );
  return [
    `From \`${source}\` (${file.valid ? "a valid run" : "**an invalid run**"}: ${file.settings.rounds} rounds × ${file.settings.durationSeconds} s, ${file.machine.cpuModel} × ${file.machine.cpuCount}, Node ${file.machine.node}, ${file.finishedAt.slice(0, 16).replace("T", " ")} UTC). Ratios of medians, with the lowest and highest single round in brackets.`,
    "",
    table,
    "",
    "| target | divided by | at least | measured | |",
    "| --- | --- | --- | --- | --- |",
    ...targets,
  ].join("\n");
}

function ratio(value: Ratio): string {
  return `${fixed(value.ofMedians)} (${fixed(value.roundMin)}–${fixed(value.roundMax)})`;
}

/** Two decimals; JSON writes a NaN (a contender with no good window) as null. */
function fixed(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(2) : "n/a";
}

if (import.meta.main) {
  const [input, flag] = process.argv.slice(2);
  if (input === undefined) {
    console.error("usage: node bench/readme-table.ts bench/results/<date>.json [--write]");
    process.exit(2);
  }
  const file = JSON.parse(readFileSync(input, "utf8")) as ResultsFile;
  const table = readmeTable(file, `bench/results/${basename(input)}`);
  if (flag !== "--write") {
    process.stdout.write(`${table}\n`);
  } else {
    const readme = readFileSync(README, "utf8");
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    if (start === -1 || end < start) throw new Error(`README.md has no ${START} … ${END} markers.`);
    writeFileSync(
      README,
      `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`,
    );
  }
}
