/**
 * A real Redis Cluster on loopback for tests: `masters × (1 + replicasPerMaster)` private
 * `redis-server` processes (see redis-server.ts), joined with `redis-cli --cluster create`, with a
 * 1 s node timeout so a killed master fails over to its replica in a few seconds.
 *
 * Admin commands go over raw sockets (`redisCommand`), never through node-redis or ioredis, so
 * the harness does not depend on the clients under test.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { type RedisServerProcess, redisCommand, startRedisServer } from "./redis-server.ts";

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  /** The role the harness last saw (a replica becomes "master" when it is promoted). */
  role: "master" | "replica";
  readonly process: RedisServerProcess;
}

export interface RedisClusterHandle {
  /** Every node, masters first, as `{ host, port }` (for `new Cluster(rootNodes)`). */
  readonly rootNodes: { host: string; port: number }[];
  readonly nodes: ClusterNode[];
  /** The port of the master currently serving `key`'s slot, as a live node sees it. */
  masterPortForKey(key: string): Promise<number>;
  /**
   * Resolves once every live replica has received everything its master had when this was
   * called (replication is asynchronous: a write not yet replicated is lost when its master dies).
   */
  waitForReplicas(timeoutMs?: number): Promise<void>;
  /** SIGKILLs the node on `port` and resolves once it has exited. */
  killNode(port: number): Promise<void>;
  /**
   * Resolves once the cluster has recovered from the death of `deadPort`: every live node flags
   * it failed, no live node sees it serving slots, all 16384 slots are served by live masters,
   * and every live node reports cluster_state:ok. Updates `nodes[].role`.
   */
  waitForFailover(deadPort: number, timeoutMs?: number): Promise<void>;
  /**
   * Starts a killed node again on its port (it keeps its nodes.conf, so it rejoins, as a replica
   * when its replica was promoted meanwhile) and resolves once the cluster is whole again.
   */
  restartNode(port: number): Promise<void>;
  /** Kills every node and removes their dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  readonly masters?: number;
  readonly replicasPerMaster?: number;
  /** `cluster-node-timeout` in ms (1000 unless given). */
  readonly nodeTimeoutMs?: number;
}

const SLOTS = 16_384;

interface NodeView {
  readonly id: string;
  readonly port: number;
  readonly flags: readonly string[];
  readonly masterId: string | undefined;
  readonly linkState: string;
  readonly slots: readonly (readonly [number, number])[];
}

/** Parses CLUSTER NODES. */
function parseClusterNodes(text: string): NodeView[] {
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const [id = "", address = "", flags = "", master = "-", , , , linkState = "", ...slots] = line
        .trim()
        .split(" ");
      const port = Number(/:(\d+)/.exec(address)?.[1] ?? Number.NaN);
      return {
        id,
        port,
        flags: flags.split(","),
        masterId: master === "-" ? undefined : master,
        linkState,
        slots: slots
          .filter((slot) => !slot.startsWith("["))
          .map((slot) => {
            const [from, to = from] = slot.split("-");
            return [Number(from), Number(to)] as const;
          }),
      };
    });
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

async function poll(
  what: string,
  timeoutMs: number,
  check: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "not checked yet";
  for (;;) {
    try {
      const problem = await check();
      if (problem === undefined) return;
      last = problem;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${last}`);
    await sleep(50);
  }
}

/** Starts a cluster and resolves once every node reports cluster_state:ok with replicas attached. */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  const nodeTimeout = options.nodeTimeoutMs ?? 1_000;
  if (masters < 3) throw new Error("redis-cli --cluster create needs at least 3 masters");
  const total = masters * (1 + replicasPerMaster);

  const started = await Promise.allSettled(
    Array.from({ length: total }, () =>
      startRedisServer({
        clusterBus: true,
        args: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          String(nodeTimeout),
          // Replicas sync at once (the default waits 5 s for more replicas to share a transfer).
          "--repl-diskless-sync-delay",
          "0",
        ],
      }),
    ),
  );
  const processes = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await Promise.all(processes.map((p) => p.stop()));
    throw failed.reason;
  }

  const byPort = new Map(processes.map((p) => [p.port, p]));
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
  };

  try {
    try {
      await run(
        "redis-cli",
        [
          "--cluster",
          "create",
          ...processes.map((p) => `127.0.0.1:${p.port}`),
          "--cluster-replicas",
          String(replicasPerMaster),
          "--cluster-yes",
        ],
        { timeout: 30_000 },
      );
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
      if (e.code === "ENOENT")
        throw new Error(
          "redis-cli not found on PATH: install Debian's redis-server package (apt-get install redis-server), which brings redis-cli",
        );
      throw new Error(`redis-cli --cluster create failed: ${e.message}\n${e.stdout ?? ""}`);
    }
    const livePorts = processes.map((p) => p.port);
    await waitUntilHealthy(livePorts, { masters, replicas: masters * replicasPerMaster }, 20_000);
  } catch (error) {
    await stopAll();
    throw error;
  }

  // Masters first, so rootNodes[0] is a master and tests can pick nodes by role.
  const view = parseClusterNodes(
    String(await redisCommand(processes[0]?.port ?? 0, "CLUSTER", "NODES")),
  );
  const roleOf = (port: number): "master" | "replica" =>
    view.find((node) => node.port === port)?.flags.includes("master") ? "master" : "replica";
  const nodes: ClusterNode[] = processes
    .map((p) => ({ port: p.port, role: roleOf(p.port), process: p }))
    .sort((a, b) => (a.role === b.role ? a.port - b.port : a.role === "master" ? -1 : 1));

  const livePorts = (): number[] => nodes.filter((n) => n.process.running).map((n) => n.port);
  const anyLivePort = (): number => {
    const port = livePorts()[0];
    if (port === undefined) throw new Error("no cluster node is running");
    return port;
  };
  const refreshRoles = async (): Promise<void> => {
    const current = parseClusterNodes(
      String(await redisCommand(anyLivePort(), "CLUSTER", "NODES")),
    );
    for (const node of nodes) {
      const seen = current.find((entry) => entry.port === node.port);
      if (seen && !seen.flags.includes("fail"))
        node.role = seen.flags.includes("master") ? "master" : "replica";
    }
  };
  const nodeOn = (port: number): ClusterNode => {
    const node = nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  };

  return {
    rootNodes: nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
    nodes,

    async masterPortForKey(key) {
      const port = anyLivePort();
      const slot = Number(await redisCommand(port, "CLUSTER", "KEYSLOT", key));
      const view = parseClusterNodes(String(await redisCommand(port, "CLUSTER", "NODES")));
      const owner = view.find(
        (node) =>
          node.flags.includes("master") &&
          node.slots.some(([from, to]) => slot >= from && slot <= to),
      );
      if (!owner) throw new Error(`no master serves slot ${slot} (key ${JSON.stringify(key)})`);
      return owner.port;
    },

    async waitForReplicas(timeoutMs = 10_000) {
      const targets = new Map<number, number>();
      for (const node of nodes.filter((n) => n.role === "master" && n.process.running)) {
        const info = String(await redisCommand(node.port, "INFO", "replication"));
        targets.set(node.port, Number(infoField(info, "master_repl_offset")));
      }
      await poll("the replicas did not catch up", timeoutMs, async () => {
        for (const [port, offset] of targets) {
          const info = String(await redisCommand(port, "INFO", "replication"));
          for (const line of info.matchAll(/^slave\d+:(.*)$/gm)) {
            const fields = new Map(
              (line[1] ?? "").split(",").map((pair) => pair.split("=") as [string, string]),
            );
            if (fields.get("state") !== "online")
              return `a replica of ${port} is ${fields.get("state")}`;
            if (Number(fields.get("offset")) < offset)
              return `replica ${fields.get("port")} of ${port} is at offset ${fields.get("offset")} < ${offset}`;
          }
        }
        return undefined;
      });
    },

    async killNode(port) {
      await nodeOn(port).process.kill("SIGKILL");
    },

    async waitForFailover(deadPort, timeoutMs = 15_000) {
      const dead = nodeOn(deadPort);
      if (dead.process.running) throw new Error(`node ${deadPort} is still running; kill it first`);
      await poll(
        `the cluster did not recover from the death of ${deadPort}`,
        timeoutMs,
        async () => {
          let coveredByLive = -1;
          for (const port of livePorts()) {
            const info = String(await redisCommand(port, "CLUSTER", "INFO"));
            const view = parseClusterNodes(String(await redisCommand(port, "CLUSTER", "NODES")));
            const deadView = view.find((node) => node.port === deadPort);
            if (!deadView?.flags.includes("fail"))
              return `node ${port} does not flag ${deadPort} as failed yet`;
            if (deadView.slots.length > 0)
              return `node ${port} still sees ${deadPort} owning slots`;
            const covered = view
              .filter(
                (node) =>
                  node.flags.includes("master") &&
                  !node.flags.includes("fail") &&
                  !node.flags.includes("fail?") &&
                  byPort.get(node.port)?.running,
              )
              .flatMap((node) => node.slots)
              .reduce((sum, [from, to]) => sum + to - from + 1, 0);
            if (covered !== SLOTS)
              return `node ${port} sees ${covered} slots served by live masters`;
            coveredByLive = covered;
            const state = infoField(info, "cluster_state");
            if (state !== "ok") return `node ${port} reports cluster_state:${state}`;
          }
          return coveredByLive === SLOTS ? undefined : "no live node answered";
        },
      );
      await refreshRoles();
    },

    async restartNode(port) {
      await nodeOn(port).process.restart();
      // A restarted old master rejoins as a replica of the master that replaced it; the number
      // of masters serving slots stays the same.
      const running = livePorts();
      await waitUntilHealthy(running, { masters, replicas: running.length - masters }, 20_000);
      await refreshRoles();
    },

    stop: stopAll,
  };
}

/**
 * Waits until every node in `ports` reports cluster_state:ok, knows every node, agrees on the
 * number of masters serving slots and of replicas, and every replica's link to its master is up.
 */
async function waitUntilHealthy(
  ports: readonly number[],
  expected: { masters: number; replicas: number },
  timeoutMs: number,
): Promise<void> {
  await poll("the cluster did not become healthy", timeoutMs, async () => {
    for (const port of ports) {
      const info = String(await redisCommand(port, "CLUSTER", "INFO"));
      const state = infoField(info, "cluster_state");
      if (state !== "ok") return `node ${port} reports cluster_state:${state}`;
      const view = parseClusterNodes(String(await redisCommand(port, "CLUSTER", "NODES")));
      const live = view.filter(
        (node) => ports.includes(node.port) && !node.flags.some((f) => f.startsWith("fail")),
      );
      if (live.some((node) => node.flags.includes("handshake") || node.flags.includes("noaddr")))
        return `node ${port} is still in handshake`;
      const masters = live.filter((node) => node.flags.includes("master") && node.slots.length > 0);
      const replicas = live.filter((node) => node.flags.includes("slave"));
      if (masters.length !== expected.masters || replicas.length !== expected.replicas)
        return `node ${port} sees ${masters.length} masters and ${replicas.length} replicas`;
      const self = view.find((node) => node.flags.includes("myself"));
      if (self?.flags.includes("slave")) {
        const replication = String(await redisCommand(port, "INFO", "replication"));
        const link = infoField(replication, "master_link_status");
        if (link !== "up") return `replica ${port} has master_link_status:${link}`;
      }
    }
    return undefined;
  });
}
