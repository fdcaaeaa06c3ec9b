/**
 * Summarizes a V8 .cpuprofile (from BENCH_CPU_PROF): the functions with the most self time,
 * overall and in tessera's own code (src/, demo/), with their inclusive time alongside, so an
 * engine hot spot can be found without opening DevTools.
 *
 *   npx node bench/top-self-time.ts .bench/profiles/demo-sqlite.cpuprofile [count]
 */
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

interface Row {
  readonly name: string;
  self: number;
  total: number;
}

const REPO = resolve(import.meta.dirname, "..");
const OWN_CODE = /^(src|demo)\//;

function main(): void {
  const [file, countArgument] = process.argv.slice(2);
  if (file === undefined) {
    console.error("usage: node bench/top-self-time.ts FILE.cpuprofile [count]");
    process.exit(2);
  }
  const count = Number(countArgument ?? 15);
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const rows = aggregate(profile);
  const sampled = rows.reduce((sum, row) => sum + row.self, 0);
  const idle = rows.find((row) => row.name.startsWith("(idle)"))?.self ?? 0;
  const busy = sampled - idle;
  const print = (title: string, selected: Row[]): void => {
    console.log(`\n${title}  (% of non-idle samples: self / inclusive)`);
    for (const row of selected.slice(0, count)) {
      console.log(`${pct(row.self, busy)} ${pct(row.total, busy)}  ${row.name}`);
    }
  };
  console.log(
    `${file}: ${(busy / 1000).toFixed(0)} ms busy of ${(sampled / 1000).toFixed(0)} ms sampled`,
  );
  const bySelf = [...rows].sort((a, b) => b.self - a.self);
  print(
    "top self time, all code",
    bySelf.filter((row) => !row.name.startsWith("(idle)")),
  );
  print(
    "top self time, tessera code",
    bySelf.filter((row) => OWN_CODE.test(row.name)),
  );
  print(
    "top inclusive time, tessera code",
    [...rows].sort((a, b) => b.total - a.total).filter((row) => OWN_CODE.test(row.name)),
  );
}

/** Self and inclusive microseconds per function (recursion counted once per stack). */
function aggregate(profile: Profile): Row[] {
  const microsPerSample =
    (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const rows = new Map<string, Row>();
  const rowOf = (node: ProfileNode): Row => {
    const name = label(node);
    let row = rows.get(name);
    if (row === undefined) {
      row = { name, self: 0, total: 0 };
      rows.set(name, row);
    }
    return row;
  };
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  for (const node of profile.nodes) {
    const micros = (node.hitCount ?? 0) * microsPerSample;
    if (micros === 0) continue;
    rowOf(node).self += micros;
    const seen = new Set<Row>();
    for (let id: number | undefined = node.id; id !== undefined; id = parents.get(id)) {
      const ancestor = byId.get(id);
      if (ancestor === undefined) break;
      const row = rowOf(ancestor);
      if (!seen.has(row)) row.total += micros;
      seen.add(row);
    }
  }
  return [...rows.values()];
}

function label({ callFrame }: ProfileNode): string {
  const name = callFrame.functionName || "(anonymous)";
  if (callFrame.url === "") return name;
  const where = callFrame.url.startsWith("file:")
    ? relative(REPO, fileURLToPath(callFrame.url))
    : callFrame.url;
  return `${where}:${callFrame.lineNumber + 1} ${name}`;
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / Math.max(1, whole)).toFixed(1).padStart(5)}%`;
}

main();
