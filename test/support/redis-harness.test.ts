/**
 * The Redis test harness itself: a server that answers, a private server that survives being
 * killed and restarted on its port, and a cluster that fails over when a master dies.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startRedisCluster } from "./redis-cluster.ts";
import {
  ensureRedis,
  pingUrl,
  RedisReplyError,
  redisCommand,
  startRedisServer,
} from "./redis-server.ts";

describe("redis test harness", () => {
  test("ensureRedis resolves a URL that answers PING, the same one every call", async () => {
    const url = await ensureRedis();
    assert.equal(await pingUrl(url), true);
    assert.equal(await ensureRedis(), url);
  });

  test("startRedisServer: kill stops answering; restart answers again on the same port", async () => {
    const server = await startRedisServer();
    try {
      assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
      assert.equal(await redisCommand(server.port, "SET", "k", "v"), "OK");
      assert.equal(await redisCommand(server.port, "GET", "k"), "v");
      await assert.rejects(redisCommand(server.port, "NO-SUCH-COMMAND"), RedisReplyError);

      await server.kill();
      assert.equal(server.running, false);
      assert.equal(await pingUrl(server.url), false);

      await server.restart();
      assert.equal(server.running, true);
      assert.equal(await pingUrl(server.url), true);
      assert.equal(await redisCommand(server.port, "GET", "k"), null, "nothing is persisted");
    } finally {
      await server.stop();
    }
    assert.equal(await pingUrl(server.url), false);
  });

  test("startRedisCluster: 3 masters, 3 replicas; a killed master fails over", async () => {
    // A node timeout above the 1 s default: under a loaded machine (the suite runs two files at
    // once, each may start a cluster) a starved master can be failed over spuriously between
    // the write and the kill, and the write this test checks would be lost with it.
    const cluster = await startRedisCluster({ nodeTimeoutMs: 3_000 });
    try {
      assert.equal(cluster.nodes.length, 6);
      assert.equal(cluster.nodes.filter((n) => n.role === "master").length, 3);
      assert.equal(cluster.nodes.filter((n) => n.role === "replica").length, 3);
      assert.equal(cluster.rootNodes.length, 6);

      // Replicas still taking their first full copy could miss the write below.
      await cluster.waitForReplicas();
      const key = "harness:{tag}";
      const owner = await cluster.masterPortForKey(key);
      assert.equal(await redisCommand(owner, "SET", key, "before"), "OK");
      // Let the replica receive the write, so it survives the failover.
      assert.equal(await redisCommand(owner, "WAIT", 1, 2000), 1);

      await cluster.killNode(owner);
      await cluster.waitForFailover(owner);

      const promoted = await cluster.masterPortForKey(key);
      assert.notEqual(promoted, owner);
      assert.equal(cluster.nodes.find((n) => n.port === promoted)?.role, "master");
      assert.equal(await redisCommand(promoted, "GET", key), "before");
      for (const node of cluster.nodes.filter((n) => n.process.running)) {
        const info = String(await redisCommand(node.port, "CLUSTER", "INFO"));
        assert.match(info, /^cluster_state:ok\r?$/m, `node ${node.port}`);
      }
    } finally {
      await cluster.stop();
    }
    for (const node of cluster.nodes) assert.equal(node.process.running, false);
  });
});
