/**
 * The Redis store on a real Redis Cluster (3 masters, 3 replicas, on loopback), through
 * node-redis `createCluster` and ioredis `Cluster`: the conformance suite, sessions and the
 * per-user index spread over every shard, and a master killed under live traffic — requests
 * answer 200 with the session's data or 503 while the replica takes over, and afterwards the
 * old cookies find their sessions again through the same client, store and app.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { createCluster as createClusterV5 } from "redis-v5";
import { createSessions } from "../../src/engine/manager.ts";
import { runStoreConformance } from "../../src/stores/conformance.ts";
import type { RedisClientLike } from "../../src/stores/redis/connection.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { nodeServer } from "../adapters/node-harness.ts";
import { CookieClient } from "../support/client.ts";
import { newId, setPatch, uniquePrefix } from "../support/patches.ts";
import { type RedisClusterHandle, startRedisCluster } from "../support/redis-cluster.ts";
import { redisCommand } from "../support/redis-server.ts";

const MINUTE = 60_000;
const SESSIONS = 30;

let cluster: RedisClusterHandle;
let nodeRedis: ReturnType<typeof createCluster>;
let ioredis: Cluster;
let nodeRedis5: ReturnType<typeof createClusterV5>;

before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  nodeRedis = createCluster({
    rootNodes: cluster.rootNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  });
  // An EventEmitter "error" with no listener ends the process; the store listens only while open.
  nodeRedis.on("error", () => {});
  await nodeRedis.connect();
  nodeRedis5 = createClusterV5({
    rootNodes: cluster.rootNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  });
  nodeRedis5.on("error", () => {});
  await nodeRedis5.connect();
  ioredis = new Cluster(cluster.rootNodes, { lazyConnect: true });
  ioredis.on("error", () => {});
  await ioredis.connect();
});

after(async () => {
  await Promise.allSettled([nodeRedis?.close(), nodeRedis5?.close(), ioredis?.quit()]);
  await cluster?.stop();
});

const CLIENTS: [string, () => RedisClientLike][] = [
  ["node-redis", () => nodeRedis],
  ["ioredis", () => ioredis],
];

/** The store's key for a session id on a cluster: the id's first 3 characters are the hash tag. */
function clusterKey(prefix: string, id: string): string {
  return `${prefix}{${id.slice(0, 3)}}${id.slice(3)}`;
}

for (const [library, client] of CLIENTS) {
  runStoreConformance(
    `redis cluster (${library})`,
    () => redisStore({ client: client(), prefix: uniquePrefix(), userKey: "userId" }),
    // The store reads expiresAt back from the key's TTL, so it may drift by a few ms.
    { selfExpiring: true, expiryTolerance: 1_000 },
  );
}

// node-redis 5's cluster client works, but after a primary dies it keeps routing that shard's
// keys to the dead node (it re-reads the slot map only on a MOVED reply, which a dead node never
// sends), so the failover tests below run on node-redis 6 and ioredis; README says so.
runStoreConformance(
  "redis cluster (node-redis 5)",
  () => redisStore({ client: nodeRedis5, prefix: uniquePrefix(), userKey: "userId" }),
  { selfExpiring: true, expiryTolerance: 1_000 },
);

test("a prefix with a brace is refused on a cluster, where it would break regenerate's slot", () => {
  for (const client of [nodeRedis, ioredis]) {
    assert.throws(() => redisStore({ client, prefix: "app{}:" }), /contains "\{"/);
    assert.throws(() => redisStore({ client, prefix: "{tenant}:session:" }), /without braces/);
  }
});

describe("redis cluster: sessions spread over every shard", () => {
  for (const [library, client] of CLIENTS) {
    test(`list, listByUser and revokeUser reach every master (${library})`, async () => {
      const prefix = uniquePrefix();
      const store = redisStore({ client: client(), prefix, userKey: "userId" });
      try {
        const ids = Array.from({ length: 24 }, newId);
        const times = { createdAt: Date.now(), expiresAt: Date.now() + 10 * MINUTE };
        for (const [index, id] of ids.entries()) {
          const data = index % 2 === 0 ? { userId: "ada", n: index } : { n: index };
          assert.equal(await store.apply(id, setPatch(data), { ...times, mustExist: false }), true);
        }
        // The keys are where the layout says, and they span all three masters.
        const owners = new Set<number>();
        for (const id of ids) {
          const key = clusterKey(prefix, id);
          const owner = await cluster.masterPortForKey(key);
          assert.equal(await redisCommand(owner, "EXISTS", key), 1, `${key} on ${owner}`);
          owners.add(owner);
        }
        assert.equal(owners.size, 3, "24 random ids land on every master");

        const listed: string[] = [];
        for await (const summary of store.list()) listed.push(summary.id);
        assert.deepEqual(listed.sort(), [...ids].sort());

        const adas = ids.filter((_, index) => index % 2 === 0);
        const byUser: string[] = [];
        for await (const summary of store.listByUser("ada")) byUser.push(summary.id);
        assert.deepEqual(byUser.sort(), [...adas].sort());

        assert.equal(await store.revokeUser("ada"), adas.length);
        for (const id of adas) assert.equal(await store.get(id), undefined);
        for (const id of ids.filter((_, index) => index % 2 === 1))
          assert.notEqual(await store.get(id), undefined);
      } finally {
        await store.close();
      }
    });
  }
});

describe("redis cluster: a master dies under traffic", () => {
  for (const [library, client] of CLIENTS) {
    test(`old cookies find their sessions again after the failover (${library})`, async (t) => {
      const prefix = uniquePrefix();
      const store = redisStore({ client: client(), prefix });
      const sessions = createSessions({ secret: randomBytes(32).toString("base64url"), store });
      const app = await nodeServer.serve(sessions, undefined);
      let deadPort: number | undefined;
      try {
        // Log in SESSIONS browsers, each with its own session.
        const browsers: { client: CookieClient; user: string; id: string; cookie: string }[] = [];
        for (let i = 0; i < SESSIONS; i++) {
          const browser = new CookieClient(app.url);
          const user = `user-${i}`;
          assert.equal((await browser.post(`/login?user=${user}`)).status, 303);
          const shown = await browser.get("/data");
          assert.equal(shown.status, 200);
          assert.equal(shown.json().data.user, user);
          browsers.push({
            client: browser,
            user,
            id: shown.json().id,
            cookie: [...browser.jar.values()].join(";"),
          });
        }

        // Which master holds which session (and the key really is there).
        const byMaster = new Map<number, typeof browsers>();
        for (const browser of browsers) {
          const key = clusterKey(prefix, browser.id);
          const owner = await cluster.masterPortForKey(key);
          assert.equal(await redisCommand(owner, "EXISTS", key), 1, `${key} on ${owner}`);
          byMaster.set(owner, [...(byMaster.get(owner) ?? []), browser]);
        }
        const [victim, victims] = [...byMaster].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
        assert.ok(victim !== undefined && victims !== undefined && victims.length > 0);
        t.diagnostic(
          `sessions per master: ${[...byMaster].map(([port, list]) => `${port}=${list.length}`).join(" ")}; killing ${victim}`,
        );

        // Every login has reached the replicas, so the failover loses none of them.
        await cluster.waitForReplicas();
        const killedAt = Date.now();
        await cluster.killNode(victim);
        deadPort = victim;
        const failover = cluster.waitForFailover(victim).then(() => Date.now() - killedAt);
        let failedOverMs: number | undefined;
        failover.then(
          (ms) => {
            failedOverMs = ms;
          },
          () => {},
        );

        // Keep every browser asking for its session until a whole round answers 200 with the
        // data, after the cluster has failed over. Each answer is that or a 503, nothing else.
        // Sessions on other shards may get 503s too: between the dead master being flagged
        // failed and its replica taking over, every node answers CLUSTERDOWN.
        const counts = { ok: 0, okOnVictim: 0, unavailableOnVictim: 0, unavailableElsewhere: 0 };
        const victimIds = new Set(victims.map((browser) => browser.id));
        let recoveredMs: number | undefined;
        const deadline = killedAt + 40_000;
        while (recoveredMs === undefined) {
          assert.ok(
            Date.now() < deadline,
            `no full recovery 40 s after the kill (failover ${failedOverMs ?? "not finished"}; ${JSON.stringify(counts)})`,
          );
          const answers = await Promise.all(
            browsers.map(async (browser) => ({
              browser,
              response: await browser.client.get("/data"),
            })),
          );
          let allOk = true;
          for (const { browser, response } of answers) {
            if (response.status === 503) {
              if (victimIds.has(browser.id)) counts.unavailableOnVictim++;
              else counts.unavailableElsewhere++;
              allOk = false;
              continue;
            }
            assert.equal(
              response.status,
              200,
              `${browser.user}: ${response.status} ${response.text.slice(0, 200)}`,
            );
            const body = response.json();
            assert.deepEqual(
              { id: body.id, isNew: body.isNew, user: body.data.user },
              { id: browser.id, isNew: false, user: browser.user },
              `${browser.user} got a 200 without its session`,
            );
            assert.equal([...browser.client.jar.values()].join(";"), browser.cookie);
            counts.ok++;
            if (victimIds.has(browser.id)) counts.okOnVictim++;
          }
          if (allOk && failedOverMs !== undefined) recoveredMs = Date.now() - killedAt;
          else await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await failover;
        t.diagnostic(
          `failover took ${failedOverMs} ms; every session answered again ${recoveredMs} ms after the kill; ${JSON.stringify(counts)}`,
        );

        // Writes land on the promoted replica too.
        const moved = victims[0];
        assert.ok(moved);
        assert.equal((await moved.client.post("/set?after=failover")).status, 200);
        const after = (await moved.client.get("/data")).json();
        assert.deepEqual(after.data, { user: moved.user, after: "failover" });
        assert.notEqual(await cluster.masterPortForKey(clusterKey(prefix, moved.id)), victim);
      } finally {
        await app.close();
        await store.close();
        // Bring the dead master back (as a replica), so the next test has a whole cluster.
        if (deadPort !== undefined) await cluster.restartNode(deadPort);
      }
    });
  }
});
