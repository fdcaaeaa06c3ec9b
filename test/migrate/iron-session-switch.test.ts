/**
 * Issue 14's switch, from iron-session: a plain node:http app keeps its login in an
 * iron-session seal (`getIronSession`) and logs 100 browsers in; the same routes restart on
 * tessera/node (`withSessions`) with `migrateFrom: ironSession(...)`, and every browser is still
 * logged in, with its cart, and holds tessera's cookie instead of the seal; no moved session
 * outlives its seal.
 *
 * The routes are written once, against the little both libraries can do alike (AppSession):
 * read, write, store before answering, end. Only opening the session differs.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { after, describe, test } from "node:test";
import { getIronSession } from "iron-session";
import { withSessions } from "../../src/adapters/node.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import { ironSession } from "../../src/migrate/iron-session.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import {
  assertSwitched,
  type Browser,
  listen,
  runSwitch,
  type SwitchPlan,
} from "./switch-harness.ts";

const PASSWORD = "the iron-session password this app always had, 32+ chars";
const COOKIE_NAME = "app_session";
const TTL_SECONDS = 86_400;
const TESSERA_SECRET = randomBytes(32).toString("base64url");

const managers: SessionManager[] = [];
after(async () => {
  for (const manager of managers) await manager.close();
});

/** The session as the routes use it, on either library. */
interface AppSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /** Stores the session; before the response is sent. */
  save(): Promise<void>;
  /** Ends the session. */
  destroy(): void;
}

/**
 * The app's routes:
 *
 *   POST /login   username, cart (JSON) → 200
 *   GET  /me      → 200 { username, cart } or 401
 *   POST /logout  → 200
 */
async function routes(
  req: IncomingMessage,
  res: ServerResponse,
  openSession: () => Promise<AppSession>,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.method === "POST" && path === "/login") {
    const form = new URLSearchParams(await bodyOf(req));
    const username = form.get("username") ?? "";
    if (username === "") return send(400, { error: "no username" });
    const session = await openSession();
    session.set("username", username);
    session.set("cart", JSON.parse(form.get("cart") ?? "[]"));
    await session.save();
    return send(200, { ok: true });
  }
  if (req.method === "GET" && path === "/me") {
    const session = await openSession();
    const username = session.get("username");
    if (typeof username !== "string") return send(401, { error: "not logged in" });
    return send(200, { username, cart: session.get("cart") });
  }
  if (req.method === "POST" && path === "/logout") {
    (await openSession()).destroy();
    return send(200, { ok: true });
  }
  send(404, { error: "not found" });
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The legacy app: iron-session, its whole session sealed in the cookie. */
function legacyApp(req: IncomingMessage, res: ServerResponse): void {
  const openSession = async (): Promise<AppSession> => {
    const session = await getIronSession<Record<string, unknown>>(req, res, {
      password: PASSWORD,
      cookieName: COOKIE_NAME,
      ttl: TTL_SECONDS,
      // Plain HTTP, as this test serves.
      cookieOptions: { secure: false },
    });
    return {
      get: (key) => session[key],
      set: (key, value) => {
        session[key] = value;
      },
      save: () => session.save(),
      destroy: () => session.destroy(),
    };
  };
  routes(req, res, openSession).catch((error: unknown) => {
    console.error(error);
    res.writeHead(500).end();
  });
}

/** The same routes on tessera/node: the session is stored when the handler first sends. */
function tesseraApp(manager: SessionManager) {
  return withSessions(manager, (req, res, context) =>
    routes(req, res, async () => {
      const session = await context.session();
      return {
        get: (key) => session.get(key),
        set: (key, value) => {
          session.set(key, value as never);
        },
        save: async () => {},
        destroy: () => {
          session.destroy();
        },
      };
    }),
  );
}

/** Each user's seal expiration (ms since the epoch), read from the cookie it got at login. */
const sealExpirations = new Map<string, number>();

async function login(browser: Browser): Promise<void> {
  const body = `username=${encodeURIComponent(browser.username)}&cart=${encodeURIComponent(JSON.stringify(browser.cart))}`;
  const response = await browser.client.post("/login", body);
  assert.equal(response.status, 200, response.text);
  // Fe26.2*id*salt*iv*ciphertext*expiration*salt*hmac~2
  const seal = decodeURIComponent(browser.client.jar.get(COOKIE_NAME) ?? "");
  const expiration = Number(seal.split("~")[0]?.split("*")[5]);
  assert.ok(Number.isSafeInteger(expiration), `browser ${browser.index}'s seal has an expiration`);
  sealExpirations.set(browser.username, expiration);
}

describe("switching from iron-session", () => {
  test("node:http, the routes on getIronSession and then on withSessions", async (t) => {
    let store: SessionStore | undefined;
    const plan: SwitchPlan = {
      startLegacy: (port) => listen(createServer(legacyApp), port),
      startTessera: (port) => {
        store = memoryStore();
        const sessions = createSessions({
          secret: TESSERA_SECRET,
          store,
          migrateFrom: ironSession({
            password: PASSWORD,
            cookieName: COOKIE_NAME,
            ttl: TTL_SECONDS,
          }),
        });
        managers.push(sessions);
        return listen(createServer(tesseraApp(sessions)), port);
      },
      login,
      legacyCookies: [COOKIE_NAME],
      tesseraCookie: "session",
    };

    const result = await runSwitch(plan);
    try {
      await assertSwitched(t, plan, result);
      // Each moved session ends no later than its seal's cookie did: iron-session gives the
      // cookie a Max-Age of ttl − 60 s, so the browser dropped it 60 s before the expiration.
      let moved = 0;
      for await (const summary of (store as SessionStore).list()) {
        const record = await (store as SessionStore).get(summary.id);
        const username = record?.data.username as string;
        const expiration = sealExpirations.get(username);
        assert.ok(expiration !== undefined, `the moved session of ${username} had a seal`);
        assert.ok(
          summary.expiresAt <= expiration - 60_000,
          `${username}'s session ends at ${summary.expiresAt}, after its seal's ${expiration} − 60 s`,
        );
        moved += 1;
      }
      assert.equal(moved, 100);
    } finally {
      await result.stop();
    }
  });
});
