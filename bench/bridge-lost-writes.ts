/**
 * How many of 50 concurrent writes of distinct keys to one session survive the express-session
 * bridge, on connect-redis (node-redis) and on connect-pg-simple (pg): the number the README
 * quotes for "no atomic per-key patch". Each run is real HTTP through tessera's node:http
 * adapter (bench/lost-writes.ts); the count varies from run to run with timing.
 *
 *     node bench/bridge-lost-writes.ts [runs]      # Node 24: node_modules/.bin/node
 *
 * REDIS_URL (default redis://127.0.0.1:6379) and DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) name the servers. Keys go under a prefix of this
 * run's own, the table into a schema of its own; both are removed at the end.
 */
import { randomBytes } from "node:crypto";
import connectPgSimple from "connect-pg-simple";
import { RedisStore } from "connect-redis";
import session from "express-session";
import pg from "pg";
import { createClient } from "redis";
import { fromExpressSessionStore } from "../src/stores/express-session/index.ts";
import { measureLostWrites } from "./lost-writes.ts";

const REQUESTS = 50;
const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) {
  throw new Error(`runs must be a positive whole number; got ${JSON.stringify(process.argv[2])}`);
}
const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const databaseUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const tag = randomBytes(5).toString("hex");

const client = createClient({ url: redisUrl });
client.on("error", (error: unknown) => process.stderr.write(`redis: ${String(error)}\n`));
await client.connect();
const prefix = `bench-bridge-${tag}:`;

const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const schema = `bench_bridge_${tag}`;
await pool.query(`CREATE SCHEMA "${schema}"`);
const PGStore = connectPgSimple(session);

const stores = {
  "connect-redis": () => new RedisStore({ client, prefix }),
  "connect-pg-simple": () =>
    new PGStore({
      pool,
      schemaName: schema,
      tableName: "session",
      createTableIfMissing: true,
      pruneSessionInterval: false,
    }),
};

try {
  console.log(
    `${REQUESTS} concurrent requests, each setting a different key of one session, through fromExpressSessionStore:`,
  );
  for (const [name, make] of Object.entries(stores)) {
    const landed: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const result = await measureLostWrites(fromExpressSessionStore(make()), REQUESTS);
      if (result.acknowledged !== REQUESTS) {
        console.log(`  ${name}: only ${result.acknowledged} of ${REQUESTS} requests answered 2xx`);
      }
      landed.push(result.landed);
    }
    const lost = landed.map((count) => REQUESTS - count);
    console.log(
      `  ${name}: keys kept per run ${landed.join(", ")} of ${REQUESTS} (lost ${Math.min(...lost)}–${Math.max(...lost)})`,
    );
  }
} finally {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.quit();
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();
}
