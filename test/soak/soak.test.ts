/**
 * The soak's short form (the full one is `npm run soak`, bench/soak/): the same server, load
 * and checks on each store for about 25 seconds, with 20,000 sessions. It asserts what must
 * hold however busy the machine is: no 5xx, no acknowledged login lost, no forged, mutated or
 * retired cookie accepted, no growth in timers, sockets or listeners at rest, the memory store
 * within its bound, and heap after GC within a generous margin of its baseline. Latency is
 * reported but never asserted: on a shared CI machine it measures the neighbours.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { killAllServersNow, stopAllServers } from "../../bench/children.ts";
import { TEST_BOUNDS } from "../../bench/soak/bounds.ts";
import { formatStore } from "../../bench/soak/report.ts";
import { MEMORY_MAX_ENTRIES, type SoakSettings, soakStore } from "../../bench/soak/run.ts";
import type { SoakStoreKind } from "../../bench/soak/server-store.ts";
import { ensureRedis } from "../support/redis-server.ts";

const SETTINGS: Omit<SoakSettings, "redisUrl"> = {
  seconds: 25,
  warmupFraction: 0.3,
  // Past the engine's signature caches (4,096 each), so they are full before the baseline.
  warmupLogins: 5_000,
  users: 16,
  sampleSeconds: 3,
  fillLevels: [2_000, 20_000],
  readsPerLevel: 300,
  memoryLevels: [MEMORY_MAX_ENTRIES / 2, MEMORY_MAX_ENTRIES, 20_000],
  memoryLogins: MEMORY_MAX_ENTRIES + 2_000,
};

/**
 * A deadline that holds with both cores busy beside the whole suite: the load itself is 25
 * seconds, the rest (start-up, warm-up, fills, clean-up) is usually under 20 more.
 */
const TIMEOUT_MS = 600_000;

process.once("exit", killAllServersNow);
after(stopAllServers);

// The stores run side by side: each has its own server process, and nothing here is timed.
describe("soak, short form", { concurrency: true }, () => {
  for (const store of ["memory", "sqlite", "redis"] as const satisfies SoakStoreKind[]) {
    test(`${store}: mixed load and ${store === "memory" ? "filling past the bound" : "20,000 sessions"} keep every invariant`, {
      timeout: TIMEOUT_MS,
    }, async (t) => {
      const redisUrl = store === "redis" ? await ensureRedis() : undefined;
      const report = await soakStore(store, { ...SETTINGS, redisUrl }, TEST_BOUNDS, (line) =>
        t.diagnostic(line),
      );
      for (const line of formatStore(report).split("\n")) t.diagnostic(line);

      assert.deepEqual(report.violations, {}, report.examples.join("\n"));
      assert.ok(
        report.acknowledgedLogins >= SETTINGS.warmupLogins,
        "the warm-up logins went through",
      );
      for (const op of [
        "read",
        "write",
        "regenerate",
        "logout",
        "hostile:forged",
        "hostile:many-dead",
      ]) {
        assert.ok(report.answers[op]?.[op.startsWith("hostile") ? 401 : 200], `no ${op} answered`);
      }
      const broken = report.checks.filter((check) => !check.ok && check.timing !== true);
      assert.deepEqual(
        broken.map((check) => `${check.name}: ${check.value}; bound ${check.bound}`),
        [],
      );
    });
  }
});
