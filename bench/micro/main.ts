/**
 * `npm run bench:micro [pattern]`: mitata micro-benchmarks of tessera's hot paths, one group per
 * path, each with a summary of how its cases compare. A pattern (a regular expression) keeps
 * only the cases whose names match. See bench/README.md.
 */
import "./expose-gc.ts";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import * as adapter from "./adapter.ts";
import type { MicroCase, MicroGroup } from "./case.ts";
import * as flask from "./flask.ts";
import * as parse from "./parse.ts";
import * as sealed from "./sealed.ts";
import * as session from "./session.ts";
import * as verify from "./verify.ts";

const groups: readonly MicroGroup[] = [
  ...parse.groups,
  ...verify.groups,
  ...sealed.groups,
  ...flask.groups,
  ...session.groups,
  ...adapter.groups,
];

function register(entry: MicroCase): void {
  const { fn } = entry;
  if (entry.async) bench(entry.name, async () => do_not_optimize(await fn()));
  else bench(entry.name, () => do_not_optimize(fn()));
}

for (const { name, cases } of groups) {
  group(name, () => {
    summary(() => {
      for (const entry of cases) register(entry);
    });
  });
}

const pattern = process.argv[2];
await run({ throw: true, ...(pattern === undefined ? {} : { filter: new RegExp(pattern) }) });
await Promise.all([adapter.close(), verify.close()]);
