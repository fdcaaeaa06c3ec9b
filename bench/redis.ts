/**
 * The Redis the Redis contenders share, found once by the parent and passed to every server as
 * BENCH_REDIS_URL. The tests' helper (test/support/redis-server.ts, `ensureRedis()`) is used
 * when present: it answers REDIS_URL or 127.0.0.1:6379, or starts a redis-server of its own.
 * Without it, REDIS_URL (default redis://127.0.0.1:6379) must answer PING.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";

export interface RunRedis {
  readonly url: string;
  /** The server's redis_version, for the report. */
  readonly version: string;
}

const HELPER = new URL("../test/support/redis-server.ts", import.meta.url);
const CONNECT_TIMEOUT_MS = 3_000;

export async function redisForRun(): Promise<RunRedis> {
  let url = process.env.REDIS_URL || "redis://127.0.0.1:6379";
  if (existsSync(fileURLToPath(HELPER))) {
    const helper = (await import(HELPER.href)) as { ensureRedis(): Promise<string> };
    url = await helper.ensureRedis();
  }
  return { url, version: await versionAt(url) };
}

/** Connects once, with no retries: PING and the version, or an error that says what to do. */
async function versionAt(url: string): Promise<string> {
  const client = createClient({
    url,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  let lastError: unknown;
  client.on("error", (error: unknown) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
    const info = await client.info("server");
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? "unknown";
  } catch (error) {
    throw new Error(
      `the Redis contenders need a Redis server, and none answered PING at ${url} (${String(lastError ?? error)}). Start one (redis-server) or set REDIS_URL, or leave them out with BENCH_ONLY.`,
      { cause: error },
    );
  } finally {
    if (client.isOpen) client.destroy();
  }
}
