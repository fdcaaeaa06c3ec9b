/**
 * The short form of `npm run fuzz`: every target of targets.ts for a few hundred inputs, with a
 * new random seed each time (a failure prints the seed and the shrunk counterexample, which
 * `npm run fuzz -- --target NAME --seed N` replays).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { failureReport } from "./target.ts";
import { targets } from "./targets.ts";

/** Enough to catch a regression in seconds, few enough to stay quick beside a busy CPU. */
const SHORT_RUNS = 500;

describe("fuzz targets (short form)", () => {
  for (const target of targets) {
    test(`${target.name}: ${target.holds}`, async () => {
      const details = await target.run({ numRuns: SHORT_RUNS });
      if (details.failed) assert.fail(failureReport(details));
    });
  }
});
