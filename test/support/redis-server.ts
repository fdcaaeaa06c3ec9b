/**
 * Real Redis for tests, with no client library in between (the harness must not depend on the
 * code under test):
 *
 * - `ensureRedis()` gives a URL that answers PING: `REDIS_URL` (or redis://127.0.0.1:6379) when it
 *   answers, otherwise a private `redis-server` spawned for this process.
 * - `startRedisServer()` always spawns a fresh private server that a test may kill and restart
 *   (outage tests).
 * - `redisCommand()` sends one command over a raw socket and parses the RESP reply.
 *
 * Every spawned server lives in its own temp dir, with no persistence, bound to 127.0.0.1, and
 * never outlives the test process: it is killed on exit, and a tiny `sh` watchdog holding a pipe
 * to this process kills it (and removes its dir) even if the process dies by SIGKILL. Neither
 * keeps the event loop alive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect as tlsConnect } from "node:tls";

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisServerProcess {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The server's working dir (log file, cluster nodes.conf). Removed by `stop()`. */
  readonly dir: string;
  /** Whether the server process is running (it may have been killed by a test). */
  readonly running: boolean;
  /** Sends `signal` (SIGKILL unless given) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the server again on the same port (killing it first if it still runs) and resolves
   * once it answers PING. Its data is gone: nothing is persisted. A cluster node keeps its
   * nodes.conf, so it rejoins its cluster.
   */
  restart(): Promise<void>;
  /** Kills the server and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

export interface StartRedisServerOptions {
  /** Port to listen on; a free loopback port when omitted. */
  readonly port?: number;
  /** Extra `redis-server` arguments, after the defaults (a later option wins in Redis). */
  readonly args?: readonly string[];
  /**
   * When the port is picked automatically, also require port + 10000 to be free (the Redis
   * Cluster bus port).
   */
  readonly clusterBus?: boolean;
}

const DEFAULT_URL = "redis://127.0.0.1:6379";
const START_TIMEOUT_MS = 10_000;
const INSTALL_HINT =
  "install Debian's redis-server (apt-get install redis-server), put a redis-server binary on PATH, or set REDIS_URL to a running server";

/** `REDIS_URL`, or the default local server. */
export function redisUrl(): string {
  return process.env.REDIS_URL || DEFAULT_URL;
}

let ensured: Promise<string> | undefined;

/**
 * A redis:// URL that answers PING: `redisUrl()` when it answers within ~500 ms, otherwise a
 * private server spawned for this process (once; later calls share it). The private server is
 * killed when the process exits.
 */
export function ensureRedis(): Promise<string> {
  ensured ??= (async () => {
    const url = redisUrl();
    if (await pingUrl(url)) return url;
    try {
      return (await startRedisServer()).url;
    } catch (error) {
      throw new Error(
        `no Redis answered PING at ${url}, and starting a private redis-server failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  })();
  ensured.catch(() => {
    ensured = undefined;
  });
  return ensured;
}

/** A port that was free on 127.0.0.1 a moment ago (and, with `clusterBus`, port + 10000 too). */
export async function freePort(options: { clusterBus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port === undefined) continue;
    if (!options.clusterBus) return port;
    if (port + 10_000 > 65_535) continue;
    if ((await listenOnce(port + 10_000)) !== undefined) return port;
  }
  throw new Error("could not find a free loopback port after 50 attempts");
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** Whether the server at `url` answers PING (authenticating first when the URL has a password). */
export async function pingUrl(url: string, timeoutMs = 500): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const commands: string[][] = [];
  if (parsed.password) {
    const password = decodeURIComponent(parsed.password);
    commands.push(
      parsed.username
        ? ["AUTH", decodeURIComponent(parsed.username), password]
        : ["AUTH", password],
    );
  }
  commands.push(["PING"]);
  try {
    const replies = await redisPipeline(
      {
        host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
        port: Number(parsed.port || 6379),
      },
      commands,
      { timeoutMs, tls: parsed.protocol === "rediss:" },
    );
    return replies.at(-1) === "PONG";
  } catch {
    return false;
  }
}

/** An error reply (`-ERR ...`) from Redis. */
export class RedisReplyError extends Error {
  override name = "RedisReplyError";
}

export type RespValue = string | number | null | RedisReplyError | RespValue[];

/**
 * Sends one command to `address` on a fresh connection and resolves its reply; an error reply
 * rejects with `RedisReplyError`.
 */
export async function redisCommand(
  address: RedisAddress | number,
  ...args: (string | number)[]
): Promise<RespValue> {
  const target = typeof address === "number" ? { host: "127.0.0.1", port: address } : address;
  const [reply] = await redisPipeline(target, [args.map(String)]);
  if (reply instanceof RedisReplyError) throw reply;
  return reply ?? null;
}

/** Sends `commands` pipelined on one fresh connection; resolves one reply per command. */
export function redisPipeline(
  address: RedisAddress,
  commands: readonly (readonly string[])[],
  options: { timeoutMs?: number; tls?: boolean } = {},
): Promise<RespValue[]> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return new Promise((resolve, reject) => {
    const socket: Socket = options.tls
      ? tlsConnect({ host: address.host, port: address.port, rejectUnauthorized: false })
      : connect({ host: address.host, port: address.port });
    let buffer: Buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `Redis at ${address.host}:${address.port} did not answer ${commands.map((c) => c[0]).join(", ")} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.once("error", (error) => finish(error));
    socket.once("close", () => {
      if (replies.length < commands.length)
        finish(new Error(`Redis at ${address.host}:${address.port} closed the connection`));
    });
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let offset = 0;
      try {
        for (;;) {
          const parsed = parseResp(buffer, offset);
          if (!parsed) break;
          replies.push(parsed.value);
          offset = parsed.offset;
        }
      } catch (error) {
        finish(error as Error);
        return;
      }
      buffer = buffer.subarray(offset);
      if (replies.length >= commands.length) finish();
    });
    socket.write(commands.map(encodeCommand).join(""));
  });
}

function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

/** Parses one RESP2 value at `offset`, or undefined when the buffer does not hold all of it yet. */
function parseResp(
  buffer: Buffer,
  offset: number,
): { value: RespValue; offset: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const type = buffer[offset];
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 0x2b: // +
      return { value: line, offset: next };
    case 0x2d: // -
      return { value: new RedisReplyError(line), offset: next };
    case 0x3a: // :
      return { value: Number(line), offset: next };
    case 0x24: {
      // $
      const length = Number(line);
      if (length < 0) return { value: null, offset: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), offset: next + length + 2 };
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count < 0) return { value: null, offset: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buffer, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.offset;
      }
      return { value: items, offset: at };
    }
    default:
      throw new Error(
        `unexpected RESP reply type ${JSON.stringify(String.fromCharCode(type ?? 0))}`,
      );
  }
}

// --- spawned servers -------------------------------------------------------------------------

interface Live {
  child: ChildProcess | undefined;
  watchdog: ChildProcess | undefined;
  dir: string;
}

/** Everything spawned by this process, killed (synchronously) when it exits. */
const live = new Set<Live>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const entry of live) {
      try {
        entry.child?.kill("SIGKILL");
      } catch {}
      try {
        rmSync(entry.dir, { recursive: true, force: true });
      } catch {}
      endWatchdog(entry.watchdog);
    }
  });
}

/**
 * A detached `sh` that blocks reading a pipe from this process. A line means "all is well, exit";
 * end of file (this process died, however it died) means "kill the server and remove its dir".
 */
function startWatchdog(pid: number, dir: string | undefined): ChildProcess | undefined {
  try {
    const watchdog = spawn(
      "sh",
      [
        "-c",
        'read line && exit 0; kill -9 "$1" 2>/dev/null; [ -n "$2" ] && rm -rf "$2"; exit 0',
        "tessera-redis-watchdog",
        String(pid),
        dir ?? "",
      ],
      { stdio: ["pipe", "ignore", "ignore"], detached: true },
    );
    watchdog.on("error", () => {});
    watchdog.stdin?.on("error", () => {});
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function endWatchdog(watchdog: ChildProcess | undefined): void {
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  try {
    watchdog.stdin?.end("done\n");
  } catch {}
}

class StartError extends Error {
  readonly addressInUse: boolean;
  constructor(message: string, addressInUse: boolean) {
    super(message);
    this.addressInUse = addressInUse;
  }
}

/**
 * Spawns a private `redis-server` on `options.port` (a free loopback port when omitted) in a temp
 * dir, and resolves once it answers PING.
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServerProcess> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "tessera-redis-"));
  const entry: Live = { child: undefined, watchdog: undefined, dir };
  live.add(entry);
  const logFile = join(dir, "redis.log");
  const readLog = (): string => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const extraArgs = options.args ?? [];
  let port = options.port ?? 0;
  let stopped = false;

  const launch = async (): Promise<void> => {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        dir,
        "--logfile",
        logFile,
        ...extraArgs,
      ],
      { cwd: dir, stdio: "ignore" },
    );
    entry.child = child;
    child.unref();
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid, dir);
    entry.watchdog = watchdog;
    child.once("exit", () => endWatchdog(watchdog));

    // Keep the event loop alive while we wait for the server (the child itself is unref'd).
    child.ref();
    try {
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        const outcome = await Promise.race([
          spawnError.then((error) => ({ error })),
          exited.then(() => ({ exited: true as const })),
          pingUrl(`redis://127.0.0.1:${port}`, 250).then((ok) => ({ ok })),
        ]);
        if ("error" in outcome) {
          const code = (outcome.error as NodeJS.ErrnoException).code;
          throw new StartError(
            code === "ENOENT"
              ? `redis-server not found on PATH: ${INSTALL_HINT}`
              : `could not run redis-server: ${outcome.error.message}`,
            false,
          );
        }
        if ("exited" in outcome) {
          await sleep(10); // let the log reach the file
          const log = readLog();
          throw new StartError(
            `redis-server on port ${port} exited with ${child.exitCode ?? child.signalCode} before answering PING; its log (${logFile}):\n${log.split("\n").slice(-15).join("\n")}`,
            /address already in use/i.test(log.split("\n").slice(-15).join("\n")),
          );
        }
        if (outcome.ok) return;
        if (Date.now() > deadline) {
          child.kill("SIGKILL");
          throw new StartError(
            `redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms; its log (${logFile}):\n${readLog().split("\n").slice(-15).join("\n")}`,
            false,
          );
        }
        await sleep(20);
      }
    } finally {
      child.unref();
    }
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    const child = entry.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.ref();
    try {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill(signal);
      });
    } finally {
      child.unref();
    }
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await kill("SIGKILL");
    endWatchdog(entry.watchdog);
    live.delete(entry);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (let attempt = 1; ; attempt++) {
      if (options.port === undefined)
        port = await freePort({ clusterBus: options.clusterBus ?? false });
      try {
        await launch();
        break;
      } catch (error) {
        const retry =
          options.port === undefined &&
          error instanceof StartError &&
          error.addressInUse &&
          attempt < 5;
        if (!retry) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      const child = entry.child;
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    kill,
    async restart() {
      if (stopped) throw new Error(`redis-server on port ${port} was stopped; it cannot restart`);
      await kill("SIGKILL");
      await launch();
    },
    stop,
    log: readLog,
  };
}

/** Deletes every key under `prefix` on the server at `address` (SCAN + DEL): test clean-up. */
export async function deleteKeysUnder(address: RedisAddress, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const reply = (await redisCommand(
      address,
      "SCAN",
      cursor,
      "MATCH",
      `${prefix}*`,
      "COUNT",
      1000,
    )) as [string, string[]];
    cursor = reply[0];
    if (reply[1].length > 0) await redisCommand(address, "DEL", ...reply[1]);
  } while (cursor !== "0");
}
