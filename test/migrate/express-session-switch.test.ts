/**
 * Issue 14's switch, from express-session: Express + Passport + express-session on a real
 * store (connect-redis, connect-pg-simple) logs 100 browsers in; the same app restarts on
 * tessera with `migrateFrom: expressSession(...)`, and every browser is still logged in, with
 * its cart, and holds tessera's cookie; no legacy record is left afterwards.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { RedisStore } from "connect-redis";
import session from "express-session";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import type { ExpressSessionSourceOptions } from "../../src/migrate/express-session.ts";
import { expressSession } from "../../src/migrate/express-session.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { postgresStore } from "../../src/stores/postgres/index.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { connectPgForRun, connectRedisForRun } from "../support/connect-stores.ts";
import { expressLoginApp } from "./express-login-app.ts";
import {
  assertSwitched,
  type Browser,
  listen,
  runSwitch,
  type SwitchPlan,
} from "./switch-harness.ts";

const LEGACY_SECRET = "the express-session secret this app always had";
const TESSERA_SECRET = randomBytes(32).toString("base64url");
const DAY_MS = 86_400_000;

type Stores = Awaited<ReturnType<typeof connectRedisForRun>>;
type PgStores = Awaited<ReturnType<typeof connectPgForRun>>;
let redis: Stores;
let pg: PgStores;
before(async () => {
  redis = await connectRedisForRun();
  pg = await connectPgForRun();
});
after(async () => {
  await redis?.close();
  await pg?.close();
});

async function login(browser: Browser): Promise<void> {
  const body = `username=${encodeURIComponent(browser.username)}&cart=${encodeURIComponent(JSON.stringify(browser.cart))}`;
  const response = await browser.client.post("/login", body);
  assert.equal(response.status, 200, response.text);
}

/** The plan for one legacy store and one way of reading it. */
function plan(
  legacyStore: session.Store,
  tesseraStore: () => SessionStore,
  records: Partial<ExpressSessionSourceOptions>,
  managers: SessionManager[],
): SwitchPlan {
  return {
    startLegacy: (port) =>
      listen(
        createServer(
          expressLoginApp(
            session({
              secret: LEGACY_SECRET,
              store: legacyStore,
              resave: false,
              saveUninitialized: false,
              cookie: { maxAge: DAY_MS },
            }),
          ),
        ),
        port,
      ),
    startTessera: (port) => {
      const sessions = createSessions({
        secret: TESSERA_SECRET,
        store: tesseraStore(),
        migrateFrom: expressSession({
          secret: [LEGACY_SECRET],
          ...records,
        } as ExpressSessionSourceOptions),
      });
      managers.push(sessions);
      return listen(createServer(expressLoginApp(expressSessions(sessions))), port);
    },
    login,
    legacyCookies: ["connect.sid"],
    tesseraCookie: "session",
  };
}

async function switchAndCheck(
  t: { diagnostic(message: string): void },
  switchPlan: SwitchPlan,
  managers: SessionManager[],
  legacyRecordsLeft: () => Promise<number>,
): Promise<void> {
  const legacyEnd = Date.now() + DAY_MS;
  const result = await runSwitch(switchPlan);
  try {
    await assertSwitched(t, switchPlan, result);
    assert.equal(await legacyRecordsLeft(), 0, "no legacy record is left");
    // The moved sessions end when the legacy ones would have (a day), not 31 days from now.
    const store = managers[0]?.store as SessionStore;
    let moved = 0;
    for await (const summary of store.list()) {
      moved += 1;
      assert.ok(summary.expiresAt <= legacyEnd + 60_000, "the legacy lifetime is never extended");
    }
    assert.equal(moved, 100);
  } finally {
    await result.stop();
    for (const manager of managers) await manager.close();
  }
}

async function redisKeysUnder(prefix: string): Promise<number> {
  let cursor = "0";
  let count = 0;
  do {
    const reply = await redis.client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
    cursor = String(reply.cursor);
    count += reply.keys.length;
  } while (cursor !== "0");
  return count;
}

describe("switching from express-session", () => {
  test("connect-redis, its records read straight from Redis", async (t) => {
    const legacyPrefix = `${redis.prefix}straight:sess:`;
    const managers: SessionManager[] = [];
    const switchPlan = plan(
      new RedisStore({ client: redis.client, prefix: legacyPrefix }) as unknown as session.Store,
      () => redisStore({ client: redis.client, prefix: `${redis.prefix}straight:tessera:` }),
      { redis: { client: redis.client, prefix: legacyPrefix } },
      managers,
    );
    await switchAndCheck(t, switchPlan, managers, () => redisKeysUnder(legacyPrefix));
  });

  test("connect-redis, its records read through the express-session store object", async (t) => {
    const legacyPrefix = `${redis.prefix}object:sess:`;
    const legacyStore = new RedisStore({ client: redis.client, prefix: legacyPrefix });
    const managers: SessionManager[] = [];
    const switchPlan = plan(
      legacyStore as unknown as session.Store,
      () => redisStore({ client: redis.client, prefix: `${redis.prefix}object:tessera:` }),
      { store: legacyStore },
      managers,
    );
    await switchAndCheck(t, switchPlan, managers, () => redisKeysUnder(legacyPrefix));
  });

  test("connect-pg-simple, its table read straight from PostgreSQL", async (t) => {
    const managers: SessionManager[] = [];
    const switchPlan = plan(
      pg.make() as unknown as session.Store,
      () => postgresStore({ client: pg.pool, table: `${pg.schema}.tessera_sessions_switch` }),
      { postgres: { client: pg.pool, schema: pg.schema, table: pg.table } },
      managers,
    );
    await switchAndCheck(t, switchPlan, managers, async () => {
      const { rows } = await pg.pool.query(
        `SELECT count(*)::int AS n FROM "${pg.schema}"."${pg.table}"`,
      );
      return (rows[0] as { n: number }).n;
    });
  });
});
