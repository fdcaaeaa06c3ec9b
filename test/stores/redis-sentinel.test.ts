/**
 * Redis Sentinel works through the client: a primary, a replica and one sentinel on loopback;
 * the conformance suite runs through ioredis's and node-redis's sentinel clients, and after the
 * primary dies and the sentinel promotes the replica, the same store serves the same sessions.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { createSentinel } from "redis";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { RedisClientLike } from "../../src/stores/redis/connection.ts";
import { type RedisStore, redisStore } from "../../src/stores/redis/index.ts";
import {
  freePort,
  pingUrl,
  type RedisServerProcess,
  redisCommand,
  startRedisServer,
} from "../support/redis-server.ts";

const MASTER_NAME = "tessera";
const HOST = "127.0.0.1";

let primary: RedisServerProcess;
let replica: RedisServerProcess;
let sentinel: ChildProcess;
let sentinelPort: number;
let sentinelDir: string;
const clients: { ioredis?: Redis; nodeRedis?: Awaited<ReturnType<typeof connectNodeRedis>> } = {};

function connectNodeRedis() {
  return createSentinel({
    name: MASTER_NAME,
    sentinelRootNodes: [{ host: HOST, port: sentinelPort }],
  }).connect();
}

before(async () => {
  primary = await startRedisServer();
  replica = await startRedisServer({ args: ["--replicaof", HOST, String(primary.port)] });
  sentinelPort = await freePort();
  sentinelDir = mkdtempSync(join(tmpdir(), "tessera-sentinel-"));
  const config = join(sentinelDir, "sentinel.conf");
  writeFileSync(
    config,
    [
      `port ${sentinelPort}`,
      `bind ${HOST}`,
      `dir ${sentinelDir}`,
      `sentinel monitor ${MASTER_NAME} ${HOST} ${primary.port} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      "",
    ].join("\n"),
  );
  sentinel = spawn("redis-server", [config, "--sentinel"], { stdio: "ignore" });
  sentinel.unref();
  for (
    let attempt = 0;
    attempt < 100 && !(await pingUrl(`redis://${HOST}:${sentinelPort}`));
    attempt++
  ) {
    await sleep(50);
  }
  // The sentinel needs a moment to discover the replica before it could promote it.
  for (let attempt = 0; attempt < 100; attempt++) {
    const replicas = (await redisCommand(
      sentinelPort,
      "SENTINEL",
      "REPLICAS",
      MASTER_NAME,
    )) as unknown[];
    if (replicas.length > 0) break;
    await sleep(100);
  }
  clients.ioredis = new Redis({
    sentinels: [{ host: HOST, port: sentinelPort }],
    name: MASTER_NAME,
  });
  clients.nodeRedis = await connectNodeRedis();
});

after(async () => {
  clients.ioredis?.disconnect();
  await clients.nodeRedis?.close().catch(() => {});
  sentinel?.kill("SIGKILL");
  await Promise.all([primary?.stop(), replica?.stop()]);
  if (sentinelDir) rmSync(sentinelDir, { recursive: true, force: true });
});

function prefix(): string {
  return `sentinel-test:${randomBytes(6).toString("base64url")}:`;
}

for (const library of ["ioredis", "nodeRedis"] as const) {
  runStoreConformance(
    `redis via Sentinel (${library === "ioredis" ? "ioredis" : "node-redis createSentinel"})`,
    () =>
      redisStore({
        client: clients[library] as RedisClientLike,
        prefix: prefix(),
        userKey: "userId",
      }),
    { selfExpiring: true, expiryTolerance: 1_000 },
  );
}

describe("redis via Sentinel: failover", () => {
  test("after the primary dies and the replica is promoted, the same stores serve the same sessions", async () => {
    const stores: [string, RedisStore][] = [
      ["ioredis", redisStore({ client: clients.ioredis as RedisClientLike, prefix: prefix() })],
      [
        "node-redis",
        redisStore({ client: clients.nodeRedis as RedisClientLike, prefix: prefix() }),
      ],
    ];
    const ids = new Map<string, string>();
    for (const [library, store] of stores) {
      const id = randomBytes(32).toString("base64url");
      ids.set(library, id);
      await store.apply(
        id,
        { clear: false, set: new Map([["user", library]]), delete: new Set() },
        { createdAt: Date.now(), expiresAt: Date.now() + 600_000, mustExist: false },
      );
    }
    // Acknowledged by the replica before the primary dies, as WAIT guarantees.
    let acknowledged = 0;
    for (let attempt = 0; attempt < 20 && acknowledged < 1; attempt++) {
      acknowledged = Number(await redisCommand(primary.port, "WAIT", 1, 500));
    }
    assert.equal(acknowledged, 1, "the replica has the sessions");
    await primary.kill("SIGKILL");

    for (let attempt = 0; attempt < 200; attempt++) {
      const address = (await redisCommand(
        sentinelPort,
        "SENTINEL",
        "GET-MASTER-ADDR-BY-NAME",
        MASTER_NAME,
      )) as string[];
      if (address[1] === String(replica.port)) break;
      await sleep(100);
    }
    for (const [library, store] of stores) {
      let data: unknown;
      for (let attempt = 0; attempt < 100 && data === undefined; attempt++) {
        try {
          data = (await store.get(ids.get(library) as string))?.data;
        } catch {
          await sleep(100);
        }
      }
      assert.deepEqual(
        data,
        { user: library },
        `${library} reads the session from the new primary`,
      );
      const written = await store.apply(
        ids.get(library) as string,
        { clear: false, set: new Map([["after", true]]), delete: new Set() },
        { createdAt: 0, expiresAt: Date.now() + 600_000, mustExist: true },
      );
      assert.equal(written, true, `${library} writes to the new primary`);
    }
  });
});
