/**
 * What every Redis contender shares, so floors, tessera and the peer all pay for the same
 * client: one node-redis v6 client with default options to the run's Redis (BENCH_REDIS_URL,
 * chosen by the parent), a key prefix of this process's own, and on close deleting every key
 * under that prefix, so runs do not litter a Redis that others use too.
 */
import { createClient } from "redis";
import { requiredEnv } from "./serve.ts";

export type BenchRedisClient = ReturnType<typeof newClient>;

/** Every key this process writes starts with this. */
export const KEY_PREFIX = `bench:${process.pid}:`;

/** Shaped like a real session id (43 base64url characters), as the SQLite floors' row is. */
export const FLOOR_SESSION_ID = "bench-floor-session-id-0000000000000000000";
export const THIRTY_ONE_DAYS_MS = 31 * 86_400_000;

function newClient(url: string) {
  return createClient({ url });
}

export async function connectRedis(): Promise<BenchRedisClient> {
  const client = newClient(requiredEnv("BENCH_REDIS_URL"));
  // node-redis reports connection trouble as 'error' events; unheard, one would kill the server
  // with a stack trace instead of a message. Failed commands still reject where they were sent.
  client.on("error", (error: unknown) => {
    process.stderr.write(`bench server ${process.pid}: redis: ${String(error)}\n`);
  });
  await client.connect();
  return client;
}

/** Deletes every key under this process's prefix, then closes the client. */
export async function cleanUpAndClose(client: BenchRedisClient): Promise<void> {
  try {
    for await (const keys of client.scanIterator({ MATCH: `${KEY_PREFIX}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    await client.close();
  }
}

/** The record the Redis floors read and write, shaped like a session: data plus its times. */
export interface FloorRecord {
  data: { username: string; n?: number };
  createdAt: number;
  expiresAt: number;
}

/** Writes alice's floor record under this process's prefix; resolves to its key. */
export async function seedFloorRecord(client: BenchRedisClient): Promise<string> {
  const key = `${KEY_PREFIX}${FLOOR_SESSION_ID}`;
  const now = Date.now();
  const seed: FloorRecord = {
    data: { username: "alice" },
    createdAt: now,
    expiresAt: now + THIRTY_ONE_DAYS_MS,
  };
  await client.set(key, JSON.stringify(seed), {
    expiration: { type: "PX", value: THIRTY_ONE_DAYS_MS },
  });
  return key;
}
