/**
 * One store's soak: its server in a child process, warm-up logins, the mixed load with
 * samples taken at rest, every acknowledged login read back, then the store filled with many
 * sessions. Resolves to the store's report, with its checks against the bounds.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startServer } from "../children.ts";
import { type Bounds, type Check, checkSamples, mib } from "./bounds.ts";
import { SoakClient } from "./client.ts";
import { type FillLevel, fillLevels, getJson } from "./fill.ts";
import { Gate } from "./gate.ts";
import { idSigner } from "./hostile.ts";
import { type LoadContext, type Login, logIn, readBack, runUser } from "./load.ts";
import { clearPrefix } from "./redis-keys.ts";
import type { Sample } from "./sampler.ts";
import type { SoakStoreKind } from "./server-store.ts";
import { Tally } from "./tally.ts";

export interface SoakSettings {
  /** Seconds of mixed load. */
  readonly seconds: number;
  /** The share of those seconds that is warm-up: samples before it are not held to bounds. */
  readonly warmupFraction: number;
  /**
   * Logins before the load, kept and read back at the end. More than the engine's signature
   * caches hold (4,096 each), so those are full before the baseline.
   */
  readonly warmupLogins: number;
  /** Virtual users, each on its own connection. */
  readonly users: number;
  readonly sampleSeconds: number;
  /** SQLite and Redis: session counts at which reads are measured. */
  readonly fillLevels: readonly number[];
  readonly readsPerLevel: number;
  /** Memory store: session counts written through the store, past its bound. */
  readonly memoryLevels: readonly number[];
  /** Memory store: logins through the server past its bound. */
  readonly memoryLogins: number;
  readonly redisUrl: string | undefined;
}

/** The memory store's default maxEntries (src/stores/memory.ts), which the soak runs with. */
export const MEMORY_MAX_ENTRIES = 10_000;

export interface StoreReport {
  readonly store: SoakStoreKind;
  readonly seconds: number;
  readonly start: Sample;
  readonly samples: readonly Sample[];
  /** Index in `samples` of the baseline: the first after warm-up. */
  readonly baselineIndex: number;
  readonly requests: number;
  readonly acknowledgedLogins: number;
  readonly answers: Tally["answers"];
  readonly violations: Tally["violations"];
  readonly examples: readonly string[];
  readonly fill: readonly FillLevel[];
  readonly memoryLogins?: {
    readonly count: number;
    readonly stored: number;
    readonly lastReadable: boolean;
    readonly firstReadable: boolean;
    readonly sample: Sample;
  };
  readonly checks: readonly Check[];
}

export async function soakStore(
  kind: SoakStoreKind,
  settings: SoakSettings,
  bounds: Bounds,
  log: (line: string) => void,
): Promise<StoreReport> {
  const secret = randomBytes(32).toString("base64url");
  const dir = mkdtempSync(join(tmpdir(), "tessera-soak-"));
  const prefix = `soak:${process.pid}:${randomBytes(4).toString("hex")}:`;
  if (kind === "redis" && settings.redisUrl === undefined) throw new Error("redis needs a URL");
  const server = await startServer(
    "../soak/server.ts", // relative to bench/servers, where startServer looks
    {
      SOAK_STORE: kind,
      SOAK_SECRET: secret,
      SOAK_DB_PATH: join(dir, "sessions.db"),
      SOAK_REDIS_URL: settings.redisUrl ?? "",
      SOAK_PREFIX: prefix,
    },
    ["--expose-gc"],
  );
  const control = new SoakClient(server.origin, 1);
  const client = new SoakClient(server.origin, settings.users);
  const tally = new Tally();
  const context: LoadContext = { client, tally, signer: idSigner(secret) };
  try {
    const start = await getJson<Sample>(control, "GET", "/__soak/sample");
    log(`${kind}: ${settings.warmupLogins} warm-up logins`);
    const dormant = await warmupLogins(context, settings);

    log(`${kind}: ${settings.seconds} s of mixed load, ${settings.users} users`);
    const gate = new Gate();
    const loadStart = performance.now();
    const until = loadStart + settings.seconds * 1000;
    const users = Array.from({ length: settings.users }, (_, i) =>
      runUser(context, gate, `user${i}`, until),
    );
    const samples: Sample[] = [];
    let baselineIndex = -1;
    while (performance.now() < until) {
      await sleep(Math.min(settings.sampleSeconds * 1000, until - performance.now()));
      // At rest: nothing in flight, so counts are the server's resting state.
      await gate.pause();
      samples.push(await getJson<Sample>(control, "GET", "/__soak/sample"));
      gate.resume();
      const elapsed = (performance.now() - loadStart) / 1000;
      if (baselineIndex < 0 && elapsed >= settings.seconds * settings.warmupFraction) {
        baselineIndex = samples.length - 1;
      }
    }
    // The last sample above was taken at the deadline: the end of the load.
    const last = await Promise.all(users);
    if (baselineIndex < 0) baselineIndex = samples.length - 1;

    log(`${kind}: reading back ${dormant.length} warm-up logins and every user still logged in`);
    for (const login of [...dormant, ...last]) {
      if (login !== undefined) await readBack(context, login, "final-read");
    }

    const checks = checkSamples(samples.slice(baselineIndex), bounds, settings.users);
    let fill: FillLevel[] = [];
    let memoryLogins: StoreReport["memoryLogins"];
    const probe = new SoakClient(server.origin, 1);
    const fillOptions = { control, probe, signer: context.signer, tally, log };
    if (kind === "memory") {
      log(`${kind}: filling past the store's bound of ${MEMORY_MAX_ENTRIES}`);
      fill = await fillLevels({ ...fillOptions, levels: settings.memoryLevels, readsPerLevel: 0 });
      memoryLogins = await loginsPastBound(context, control, settings.memoryLogins, log);
      checks.push(...checkMemoryBound(fill, memoryLogins, bounds));
    } else {
      log(`${kind}: filling to ${settings.fillLevels.at(-1)} sessions`);
      fill = await fillLevels({
        ...fillOptions,
        levels: settings.fillLevels,
        readsPerLevel: settings.readsPerLevel,
      });
      checks.push(...checkLatency(fill, bounds));
    }
    probe.close();
    checks.push({
      name: "broken invariants",
      bound: "0 (no 5xx, no lost login, no forgery accepted, no retired cookie accepted)",
      value: String(tally.violationCount),
      ok: tally.violationCount === 0,
    });
    return {
      store: kind,
      seconds: settings.seconds,
      start,
      samples,
      baselineIndex,
      requests: tally.requests,
      acknowledgedLogins: tally.acknowledgedLogins,
      answers: tally.answers,
      violations: tally.violations,
      examples: tally.examples,
      fill,
      ...(memoryLogins === undefined ? {} : { memoryLogins }),
      checks,
    };
  } finally {
    client.close();
    control.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    if (kind === "redis" && settings.redisUrl !== undefined) {
      log(`${kind}: deleting the keys under ${prefix}`);
      await clearPrefix(settings.redisUrl, prefix);
    }
  }
}

/** Logins `users` at a time; every acknowledged one is kept for the final read-back. */
async function warmupLogins(context: LoadContext, settings: SoakSettings): Promise<Login[]> {
  const logins: Login[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < settings.warmupLogins) {
      const login = await logIn(context, `warm${next++}`);
      if (login !== undefined) logins.push(login);
    }
  };
  await Promise.all(Array.from({ length: settings.users }, worker));
  return logins;
}

/** Logins through the server past the memory store's bound: the newest stays, the oldest goes. */
async function loginsPastBound(
  context: LoadContext,
  control: SoakClient,
  count: number,
  log: (line: string) => void,
): Promise<NonNullable<StoreReport["memoryLogins"]>> {
  const logins: (Login | undefined)[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      logins[index] = await logIn(context, `bound${index}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const readable = async (login: Login | undefined): Promise<boolean> => {
    if (login === undefined) return false;
    const answer = await context.client.send("GET", "/me", `session=${login.cookie}`);
    return answer.status === 200;
  };
  const result = {
    count,
    stored: (await getJson<{ count: number }>(control, "GET", "/__soak/count")).count,
    firstReadable: await readable(logins[0]),
    lastReadable: await readable(logins.at(-1)),
    sample: await getJson<Sample>(control, "GET", "/__soak/sample"),
  };
  log(
    `  ${count} logins: ${result.stored} kept, newest readable ${result.lastReadable}, oldest ${result.firstReadable}`,
  );
  return result;
}

function checkMemoryBound(
  levels: readonly FillLevel[],
  logins: NonNullable<StoreReport["memoryLogins"]>,
  bounds: Bounds,
): Check[] {
  const kept = Math.max(logins.stored, ...levels.map((level) => level.stored ?? 0));
  const checks: Check[] = [
    {
      name: "memory store: sessions kept",
      bound: `≤ maxEntries ${MEMORY_MAX_ENTRIES}`,
      value: `max ${kept} after ${levels.at(-1)?.sessions} writes and ${logins.count} logins`,
      ok: kept <= MEMORY_MAX_ENTRIES,
    },
    {
      name: "memory store: newest login readable past the bound",
      bound: "true",
      value: String(logins.lastReadable),
      ok: logins.lastReadable,
    },
  ];
  const full = levels.find((level) => level.sessions >= MEMORY_MAX_ENTRIES);
  if (full !== undefined) {
    const heapBound =
      full.sample.heapUsedBytes * (1 + bounds.heapGrowthFraction) + bounds.heapGrowthBytes;
    const heap = Math.max(
      logins.sample.heapUsedBytes,
      ...levels.map((level) => level.sample.heapUsedBytes),
    );
    checks.push({
      name: "memory store: heap after GC past the bound",
      bound: `≤ ${mib(heapBound)} (at ${full.sessions} sessions ${mib(full.sample.heapUsedBytes)} + ${bounds.heapGrowthFraction * 100}% + ${mib(bounds.heapGrowthBytes)})`,
      value: `max ${mib(heap)}`,
      ok: heap <= heapBound,
    });
    const rssBound = full.sample.rssBytes * (1 + bounds.rssGrowthFraction) + bounds.rssGrowthBytes;
    const rss = Math.max(logins.sample.rssBytes, ...levels.map((level) => level.sample.rssBytes));
    checks.push({
      name: "memory store: RSS past the bound",
      bound: `≤ ${mib(rssBound)} (at ${full.sessions} sessions ${mib(full.sample.rssBytes)} + ${bounds.rssGrowthFraction * 100}% + ${mib(bounds.rssGrowthBytes)})`,
      value: `max ${mib(rss)}`,
      ok: rss <= rssBound,
    });
  }
  return checks;
}

function checkLatency(levels: readonly FillLevel[], bounds: Bounds): Check[] {
  const first = levels[0]?.read;
  const last = levels.at(-1)?.read;
  if (first === undefined || last === undefined) return [];
  const limit = first.p50Ms * bounds.latencyGrowthFactor + bounds.latencySlackMs;
  return [
    {
      name: `read p50 at ${levels.at(-1)?.sessions} sessions`,
      bound: `≤ ${limit.toFixed(3)} ms (${bounds.latencyGrowthFactor} × ${first.p50Ms.toFixed(3)} ms at ${levels[0]?.sessions} + ${bounds.latencySlackMs} ms)`,
      value: `${last.p50Ms.toFixed(3)} ms (p99 ${last.p99Ms.toFixed(3)} ms)`,
      ok: last.p50Ms <= limit,
      timing: true,
    },
  ];
}
