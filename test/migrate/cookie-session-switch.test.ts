/**
 * Issue 14's switch, from cookie-session: Express + Passport + cookie-session (two keys, ready
 * for rotation) logs 100 browsers in; the same app restarts on tessera (SQLite) with
 * `migrateFrom: cookieSession(...)`, and every browser is still logged in, with its cart.
 *
 * cookie-session's cookie is named "session", and so is tessera's by default: the test keeps
 * both defaults, as a real switch meets them. tessera's cookie takes the name over (the browser
 * replaces the value), and `session.sig` must be gone from every jar.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import cookieSessionMiddleware from "cookie-session";
import express, { type RequestHandler } from "express";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import { cookieSession } from "../../src/migrate/cookie-session.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { expressLoginApp } from "./express-login-app.ts";
import {
  assertSwitched,
  type Browser,
  listen,
  runSwitch,
  type SwitchPlan,
} from "./switch-harness.ts";

/** Newest first, as keygrip uses them: the first signs, both verify. */
const KEYS = ["the cookie-session key this app signs with now", "the key it signed with before"];
const TESSERA_SECRET = randomBytes(32).toString("base64url");
const DAY_MS = 86_400_000;

let directory: string;
const managers: SessionManager[] = [];
before(async () => {
  directory = await mkdtemp(join(tmpdir(), "tessera-cookie-session-switch-"));
});
after(async () => {
  for (const manager of managers) await manager.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

/**
 * cookie-session, as an app using it with Passport 0.7 has it: Passport calls
 * req.session.regenerate and req.session.save on login and logout, which cookie-session's
 * session lacks (its whole session is the cookie), so the app adds no-op ones, the usual
 * workaround. Only the legacy app has this; tessera's req.session has both.
 */
function legacySessions(): RequestHandler {
  const router = express.Router();
  router.use(cookieSessionMiddleware({ keys: KEYS, maxAge: DAY_MS }));
  router.use((req, _res, next) => {
    const session = (req as unknown as { session?: Record<string, unknown> | null }).session;
    if (session) {
      session.regenerate ??= (done: () => void) => done();
      session.save ??= (done: () => void) => done();
    }
    next();
  });
  return router;
}

/** Each browser's cookie-session value after its login, to tell it from tessera's later. */
const legacyValues = new Map<number, string | undefined>();

async function login(browser: Browser): Promise<void> {
  const body = `username=${encodeURIComponent(browser.username)}&cart=${encodeURIComponent(JSON.stringify(browser.cart))}`;
  const response = await browser.client.post("/login", body);
  assert.equal(response.status, 200, response.text);
  legacyValues.set(browser.index, browser.client.jar.get("session"));
}

describe("switching from cookie-session", () => {
  test("Express + Passport, two keys, the same cookie name as tessera's", async (t) => {
    const plan: SwitchPlan = {
      startLegacy: (port) => listen(createServer(expressLoginApp(legacySessions())), port),
      startTessera: (port) => {
        const sessions = createSessions({
          secret: TESSERA_SECRET,
          store: sqliteStore({ path: join(directory, "sessions.db") }),
          migrateFrom: cookieSession({ keys: KEYS, maxAge: DAY_MS }),
        });
        managers.push(sessions);
        return listen(createServer(expressLoginApp(expressSessions(sessions))), port);
      },
      login,
      legacyCookies: ["session", "session.sig"],
      // tessera's default name, left as it is: the one cookie-session used.
      tesseraCookie: "session",
    };

    const result = await runSwitch(plan);
    const switched = Date.now();
    try {
      await assertSwitched(t, plan, result);
      // Same name, so "session" being there proves nothing: its value must be tessera's now.
      assert.equal(legacyValues.size, 100);
      for (const { client, index } of result.browsers) {
        const before = legacyValues.get(index);
        assert.ok(before !== undefined && before !== "", `browser ${index} had cookie-session's`);
        assert.notEqual(client.jar.get("session"), before, `browser ${index} holds tessera's`);
      }
      // No legacy end to compare with: cookie-session writes none into its cookie (its maxAge
      // becomes the cookie's Expires, which browsers never send back), so the source can only
      // bound a moved session by maxAge from the takeover, and that is what is checked here.
      const store = (managers[0] as SessionManager).store;
      let moved = 0;
      for await (const summary of store.list()) {
        assert.ok(
          summary.expiresAt <= switched + DAY_MS,
          "a moved session lives at most cookie-session's maxAge from the takeover",
        );
        moved += 1;
      }
      assert.equal(moved, 100);
    } finally {
      await result.stop();
    }
  });
});
