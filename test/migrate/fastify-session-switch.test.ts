/**
 * Issue 14's switch, from @fastify/session: a Fastify 5 app with @fastify/cookie,
 * @fastify/session on connect-redis and @fastify/passport logs 100 browsers in; the same app
 * (the same routes, the same Passport) restarts on tessera/fastify with
 * `migrateFrom: fastifySession(...)`, and every browser is still logged in, with its cart, and
 * holds tessera's cookie; no legacy record is left, and no moved session outlives its legacy one.
 *
 * The app takes JSON bodies (Fastify parses them itself; @fastify/formbody is not installed).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { after, before, describe, test } from "node:test";
import fastifyCookie from "@fastify/cookie";
import { Authenticator, Strategy } from "@fastify/passport";
import fastifySessionPlugin from "@fastify/session";
import { RedisStore } from "connect-redis";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { fastifySessions } from "../../src/adapters/fastify/index.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import { fastifySession } from "../../src/migrate/fastify-session.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { connectRedisForRun } from "../support/connect-stores.ts";
import { assertSwitched, type Browser, runSwitch, type SwitchPlan } from "./switch-harness.ts";

const LEGACY_SECRET = "the @fastify/session secret this app always had, 32+ characters";
const TESSERA_SECRET = randomBytes(32).toString("base64url");
const DAY_MS = 86_400_000;

let redis: Awaited<ReturnType<typeof connectRedisForRun>>;
const apps: FastifyInstance[] = [];
const managers: SessionManager[] = [];
before(async () => {
  redis = await connectRedisForRun();
});
after(async () => {
  // runSwitch closed each app's server; closing the apps runs Fastify's own shutdown too.
  for (const app of apps) await app.close();
  for (const manager of managers) await manager.close();
  await redis?.close();
});

interface User {
  readonly username: string;
}

/** Logs in whoever names themselves: the login under test is the session's, not a password's. */
class UsernameStrategy extends Strategy {
  constructor() {
    super("username");
  }
  override authenticate(request: FastifyRequest): void {
    const username = String((request.body as { username?: unknown } | null)?.username ?? "");
    if (username === "") this.fail({ message: "no username" }, 400);
    else this.success({ username } satisfies User);
  }
}

/**
 * @fastify/session's request.session and tessera/fastify's, as far as these routes use them:
 * the same get/set on both (their declared types differ, so the routes name only this much).
 */
interface RouteSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

const sessionOf = (request: FastifyRequest) => request.session as unknown as RouteSession;

/**
 * One Fastify login app, started on `port` after `registerSessions` (the only thing that differs
 * between the legacy app and the tessera one):
 *
 *   POST /login   { username, cart } → 200; @fastify/passport regenerates the session on login
 *   GET  /me      → 200 { username, cart } or 401
 *   POST /logout  → 200
 */
async function startFastifyLoginApp(
  registerSessions: (app: FastifyInstance) => Promise<void>,
  port: number,
): Promise<Server> {
  const app = Fastify();
  apps.push(app);
  await registerSessions(app);
  const passport = new Authenticator();
  passport.use(new UsernameStrategy());
  passport.registerUserSerializer(async (user: User) => user.username);
  passport.registerUserDeserializer(async (username: string) => ({ username }));
  await app.register(passport.initialize());
  await app.register(passport.secureSession());
  app.post(
    "/login",
    { preValidation: passport.authenticate("username", { authInfo: false }) },
    async (request) => {
      sessionOf(request).set("cart", (request.body as { cart: unknown }).cart);
      return { ok: true };
    },
  );
  app.get("/me", async (request, reply) => {
    const user = request.user as User | undefined;
    if (user === undefined) return reply.code(401).send({ error: "not logged in" });
    return { username: user.username, cart: sessionOf(request).get("cart") };
  });
  app.post("/logout", async (request) => {
    await request.logOut();
    return { ok: true };
  });
  await app.listen({ port, host: "127.0.0.1" });
  return app.server;
}

async function login(browser: Browser): Promise<void> {
  const response = await browser.client.request("POST", "/login", {
    body: JSON.stringify({ username: browser.username, cart: browser.cart }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(response.status, 200, response.text);
}

async function redisKeysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const reply = await redis.client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
    cursor = String(reply.cursor);
    keys.push(...reply.keys);
  } while (cursor !== "0");
  return keys;
}

/** Each legacy session's end, by the user logged in to it, as @fastify/session recorded it. */
async function legacyEnds(prefix: string): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const key of await redisKeysUnder(prefix)) {
    const json = await redis.client.get(key);
    const record = JSON.parse(String(json)) as { passport?: string; cookie: { expires: string } };
    if (record.passport !== undefined) ends.set(record.passport, Date.parse(record.cookie.expires));
  }
  return ends;
}

describe("switching from @fastify/session", () => {
  test("connect-redis with @fastify/passport, its records read straight from Redis", async (t) => {
    const legacyPrefix = `${redis.prefix}fastify:sess:`;
    let endsBefore = new Map<string, number>();
    const plan: SwitchPlan = {
      startLegacy: (port) =>
        startFastifyLoginApp(async (app) => {
          await app.register(fastifyCookie);
          await app.register(fastifySessionPlugin, {
            secret: LEGACY_SECRET,
            store: new RedisStore({ client: redis.client, prefix: legacyPrefix }),
            saveUninitialized: false,
            // secure: false, as an app serving plain HTTP (this test) must; maxAge as the brief's.
            cookie: { maxAge: DAY_MS, secure: false },
          });
        }, port),
      startTessera: async (port) => {
        // The legacy app has stopped: what it recorded is final.
        endsBefore = await legacyEnds(legacyPrefix);
        const sessions = createSessions({
          secret: TESSERA_SECRET,
          store: redisStore({ client: redis.client, prefix: `${redis.prefix}fastify:tessera:` }),
          migrateFrom: fastifySession({
            secret: LEGACY_SECRET,
            redis: { client: redis.client, prefix: legacyPrefix },
          }),
        });
        managers.push(sessions);
        return startFastifyLoginApp(async (app) => {
          await app.register(fastifySessions(sessions));
        }, port);
      },
      login,
      // @fastify/session's default cookieName.
      legacyCookies: ["sessionId"],
      tesseraCookie: "session",
    };

    const result = await runSwitch(plan);
    try {
      assert.equal(endsBefore.size, 100, "the legacy app recorded 100 logged-in sessions");
      await assertSwitched(t, plan, result);
      assert.deepEqual(await redisKeysUnder(legacyPrefix), [], "no legacy record is left");
      // Each moved session ends no later than its legacy one did (a day after its last request).
      const store = (managers[0] as SessionManager).store;
      let moved = 0;
      for await (const summary of store.list()) {
        // The record's own expiry: the summary's is the key's PTTL read back, a few ms off.
        const record = await store.get(summary.id);
        assert.ok(record !== undefined, `the listed session ${summary.id} is there`);
        // @fastify/passport keeps the serialized user itself under "passport".
        const username = record.data.passport as string;
        const legacyEnd = endsBefore.get(username);
        assert.ok(legacyEnd !== undefined, `the moved session of ${username} had a legacy one`);
        assert.ok(
          record.expiresAt <= legacyEnd,
          `${username}'s session ends at ${record.expiresAt}, after its legacy end ${legacyEnd}`,
        );
        moved += 1;
      }
      assert.equal(moved, 100);
    } finally {
      await result.stop();
    }
  });
});
