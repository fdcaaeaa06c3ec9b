/**
 * The long fuzz run, `npm run fuzz`: every target of targets.ts for at least a million inputs
 * (the short form runs in `npm test`). Options:
 *
 *   --runs N         inputs per target (default 1,000,000)
 *   --target A,B     only these targets (names as printed)
 *   --seed S         the first chunk's seed, to replay a reported failure
 *
 * Each target runs in chunks of at most 100,000 inputs, each with its own seed and freshly built
 * property (new keys, stores and caches), so progress is printed as it goes and a failure names
 * a seed that replays it with `--seed S --runs <chunk size>`. Exits 1 when any target fails.
 */
import { parseArgs } from "node:util";
import { type FuzzTarget, failureReport } from "./target.ts";
import { targets } from "./targets.ts";

const CHUNK = 100_000;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000000" },
    target: { type: "string" },
    seed: { type: "string" },
  },
});

const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) usage(`--runs must be a positive integer`);
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && !Number.isSafeInteger(seed)) usage("--seed must be an integer");
const wanted = values.target?.split(",").map((name) => name.trim());
const unknown = wanted?.filter((name) => !targets.some((target) => target.name === name)) ?? [];
if (unknown.length > 0) usage(`unknown target ${unknown.join(", ")}`);
const chosen = wanted === undefined ? targets : targets.filter((t) => wanted.includes(t.name));

const count = new Intl.NumberFormat("en");
let failures = 0;
const started = performance.now();
for (const target of chosen) {
  if (!(await fuzz(target))) failures++;
}
const minutes = (performance.now() - started) / 60_000;
console.log(
  `\n${chosen.length - failures} of ${chosen.length} targets held, ${count.format(runs)} inputs each, in ${minutes.toFixed(1)} min`,
);
process.exitCode = failures === 0 ? 0 : 1;

/** Runs one target chunk by chunk; prints progress, and the counterexample if it fails. */
async function fuzz(target: FuzzTarget): Promise<boolean> {
  console.log(`${target.name}: ${target.holds}`);
  const start = performance.now();
  let done = 0;
  for (let chunk = 0; done < runs; chunk++) {
    const numRuns = Math.min(CHUNK, runs - done);
    const chunkSeed = seed === undefined ? randomSeed() : (seed + chunk) | 0;
    const details = await target.run({ numRuns, seed: chunkSeed });
    if (details.failed) {
      console.log(`  FAILED after ${count.format(done + details.numRuns)} inputs`);
      console.log(indent(failureReport(details)));
      console.log(
        `  replay: npm run fuzz -- --target ${target.name} --seed ${details.seed} --runs ${numRuns}`,
      );
      return false;
    }
    done += numRuns;
    const seconds = (performance.now() - start) / 1_000;
    console.log(`  ${count.format(done)} inputs, ${seconds.toFixed(1)} s`);
  }
  return true;
}

function randomSeed(): number {
  return (Math.random() * 2 ** 32) | 0;
}

function indent(text: string): string {
  return text.replace(/^/gm, "    ");
}

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run fuzz -- [--runs N] [--target NAME[,NAME]] [--seed S]`);
  process.exit(2);
}
