/**
 * Sessions on the real Redis and PostgreSQL the tests use, reached through a FaultProxy
 * (test/support/fault-proxy.ts), so a test can slow, stall or cut the store's connections
 * while the app runs unchanged. Keys and tables are private to each call, and removed by
 * `close()`.
 */

import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient } from "redis";
import { createSessions, type SessionManager } from "../../../src/engine/manager.ts";
import { postgresStore } from "../../../src/stores/postgres/index.ts";
import { redisStore } from "../../../src/stores/redis/index.ts";
import type { Duration } from "../../../src/util/duration.ts";
import { FaultProxy } from "../../support/fault-proxy.ts";
import { databaseUrl, uniqueTable } from "../../support/postgres.ts";
import { deleteKeysUnder, ensureRedis } from "../../support/redis-server.ts";
import type { Shape } from "./app.ts";

export interface ProxiedSessions {
  readonly name: string;
  readonly proxy: FaultProxy;
  readonly sessions: SessionManager<Shape>;
  /** Closes the sessions, the client and the proxy, and removes what the store wrote. */
  close(): Promise<void>;
}

export type StoreName = "redis" | "postgres";

/**
 * The engine's deadline in these tests: small, so a slow store is met quickly, yet not so small
 * that a healthy call misses it often on a loaded machine (steps that must succeed retry).
 */
export const STORE_TIMEOUT = "300ms";

/** Options of the store behind the proxy. */
export interface ProxiedStoreOptions {
  /** postgresStore's own limit on a call (its `timeout`); the store's default otherwise. */
  readonly postgresCallTimeout?: Duration;
}

export function proxiedSessions(
  name: StoreName,
  options: ProxiedStoreOptions = {},
): Promise<ProxiedSessions> {
  return name === "redis" ? proxiedRedis() : proxiedPostgres(options);
}

async function proxiedRedis(): Promise<ProxiedSessions> {
  const url = new URL(await ensureRedis());
  const target = { host: url.hostname, port: Number(url.port || 6379) };
  const proxy = await FaultProxy.start(target);
  const client = await createClient({ url: `redis://127.0.0.1:${proxy.port}` }).connect();
  const prefix = `faults-${randomBytes(4).toString("hex")}:`;
  const sessions = createSessions<Shape>({
    secret: randomBytes(32).toString("base64url"),
    store: redisStore({ client, prefix }),
    storeTimeout: STORE_TIMEOUT,
  });
  return {
    name: "redis",
    proxy,
    sessions,
    async close() {
      await sessions.close();
      client.destroy();
      await proxy.close();
      await deleteKeysUnder(target, prefix);
    },
  };
}

async function proxiedPostgres(options: ProxiedStoreOptions): Promise<ProxiedSessions> {
  const url = new URL(databaseUrl());
  const proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(proxy.port);
  const pool = new pg.Pool({ connectionString: proxied.href, max: 10 });
  const table = uniqueTable("faults");
  const sessions = createSessions<Shape>({
    secret: randomBytes(32).toString("base64url"),
    store: postgresStore({
      client: pool,
      table,
      sweepInterval: false,
      ...(options.postgresCallTimeout === undefined
        ? {}
        : { timeout: options.postgresCallTimeout }),
    }),
    storeTimeout: STORE_TIMEOUT,
  });
  return {
    name: "postgres",
    proxy,
    sessions,
    async close() {
      await sessions.close();
      await pool.end();
      await proxy.close();
      const direct = new pg.Client({ connectionString: url.href });
      await direct.connect();
      try {
        await direct.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await direct.end();
      }
    },
  };
}
