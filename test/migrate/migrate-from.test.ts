/**
 * The engine's side of `migrateFrom`, with a legacy library whose every move the test controls
 * (records in a Map, a switch to make its store fail): what happens to forged, unknown and
 * expired legacy cookies, `keepLegacy`, a logout, concurrent first requests, a legacy store
 * outage, and the options' checks. The switch tests (*-switch.test.ts) run the real libraries.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import { withSessions } from "../../src/adapters/node.ts";
import { Keyring } from "../../src/crypto/keyring.ts";
import { movedSessionId } from "../../src/engine/legacy-sessions.ts";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import { ConfigError } from "../../src/errors.ts";
import { fastifySession } from "../../src/migrate/fastify-session.ts";
import type { LegacyCookie, LegacySource } from "../../src/migrate/source.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { CookieClient } from "../support/client.ts";

const HOUR = 3_600_000;

/** A legacy library: cookie `old=<id>` (`old=forged…` fails to verify), records in a Map. */
class FakeLegacy implements LegacySource<LegacyCookie> {
  readonly name = "fake-legacy";
  keepsRecords = true;
  readonly cookies = [{ name: "old", options: { path: "/" } }];
  readonly records = new Map<string, { data: Record<string, unknown>; expiresAt: number }>();
  reads = 0;
  failing = false;

  find(cookies: { getAll(name: string): string[] }) {
    const [value] = cookies.getAll("old");
    if (value === undefined) return { kind: "absent" as const };
    if (value.startsWith("forged"))
      return { kind: "rejected" as const, reason: "bad-signature" as const };
    return { kind: "found" as const, cookie: { key: value } };
  }

  async read(cookie: LegacyCookie, now: number) {
    this.reads += 1;
    if (this.failing) throw new Error("legacy store down");
    const record = this.records.get(cookie.key);
    return record === undefined || record.expiresAt <= now ? undefined : record;
  }

  forget(cookie: LegacyCookie) {
    if (this.failing) return Promise.reject(new Error("legacy store down"));
    this.records.delete(cookie.key);
    return Promise.resolve();
  }
}

let legacy: FakeLegacy;
let server: Server | undefined;
let manager: SessionManager | undefined;

async function start(
  options: { keepLegacy?: boolean; secret?: string[]; store?: SessionStore } = {},
): Promise<string> {
  manager = createSessions({
    secret: options.secret ?? randomBytes(32).toString("base64url"),
    store: options.store ?? memoryStore(),
    migrateFrom: legacy,
    ...(options.keepLegacy === undefined ? {} : { keepLegacy: options.keepLegacy }),
  });
  const created = createServer(
    withSessions(manager, async (req, res, { session }) => {
      const s = await session();
      if (req.url === "/logout") s.destroy();
      if (req.url === "/login") s.regenerate();
      if (req.url === "/relogin") s.clear().set("user", "again");
      if (req.url === "/logout-then-csrf") s.destroy().set("csrf", "token");
      if (req.url === "/add")
        s.set("cart", [...((s.get("cart") as string[] | undefined) ?? []), "more"]);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ user: s.get("user") ?? null, cart: s.get("cart") ?? null }));
    }),
  );
  server = created;
  await new Promise<void>((resolve) => created.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

beforeEach(() => {
  legacy = new FakeLegacy();
});
after(async () => {
  server?.closeAllConnections();
  server?.close();
  await manager?.close();
});

async function stop(): Promise<void> {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await manager?.close();
  server = undefined;
  manager = undefined;
}

function browserWithLegacy(base: string, id: string): CookieClient {
  const client = new CookieClient(base);
  client.jar.set("old", id);
  return client;
}

describe("migrateFrom", () => {
  test("a legacy session moves: data kept, tessera cookie set, legacy cookie and record removed", async () => {
    legacy.records.set("L1", { data: { user: "ann", cart: [1] }, expiresAt: Date.now() + HOUR });
    const client = browserWithLegacy(await start(), "L1");
    try {
      const first = await client.get("/");
      assert.deepEqual(first.json(), { user: "ann", cart: [1] });
      assert.ok(client.jar.has("session"));
      assert.ok(!client.jar.has("old"), "the legacy cookie is cleared");
      assert.equal(legacy.records.size, 0, "the legacy record is deleted");
      const maxAge = Number(
        /Max-Age=(\d+)/i.exec(first.setCookies.find((c) => c.startsWith("session=")) ?? "")?.[1],
      );
      assert.ok(
        maxAge <= 3_600 && maxAge > 3_500,
        `the cookie lives as long as the legacy session did: ${maxAge}`,
      );
      // Changes go on in tessera, and a refresh never carries it past the legacy end.
      assert.deepEqual((await client.get("/add")).json(), { user: "ann", cart: [1, "more"] });
      for await (const summary of (manager as SessionManager).store.list()) {
        assert.ok(summary.expiresAt <= Date.now() + HOUR);
      }
    } finally {
      await stop();
    }
  });

  test("a forged legacy cookie gives a fresh session and is cleared, with no legacy read", async () => {
    const client = browserWithLegacy(await start(), "forged-L1");
    try {
      assert.deepEqual((await client.get("/")).json(), { user: null, cart: null });
      assert.ok(!client.jar.has("old"));
      assert.equal(legacy.reads, 0);
    } finally {
      await stop();
    }
  });

  test("an unknown or expired legacy session gives a fresh session", async () => {
    legacy.records.set("OLD", { data: { user: "gone" }, expiresAt: Date.now() - 1 });
    const base = await start();
    try {
      for (const id of ["NOPE", "OLD"]) {
        const client = browserWithLegacy(base, id);
        assert.deepEqual((await client.get("/")).json(), { user: null, cart: null });
        assert.ok(!client.jar.has("old"));
        assert.ok(!client.jar.has("session"), "nothing to keep, no cookie");
      }
    } finally {
      await stop();
    }
  });

  test("a valid tessera cookie wins: the legacy cookie is not even read", async () => {
    legacy.records.set("L2", { data: { user: "bo" }, expiresAt: Date.now() + HOUR });
    const client = browserWithLegacy(await start({ keepLegacy: true }), "L2");
    try {
      await client.get("/");
      const reads = legacy.reads;
      legacy.records.set("L2", {
        data: { user: "changed by the old app" },
        expiresAt: Date.now() + HOUR,
      });
      assert.deepEqual((await client.get("/")).json(), { user: "bo", cart: null });
      assert.equal(legacy.reads, reads);
    } finally {
      await stop();
    }
  });

  test("keepLegacy leaves cookie and record; a logout in tessera ends both", async () => {
    legacy.records.set("L3", { data: { user: "cy" }, expiresAt: Date.now() + HOUR });
    const client = browserWithLegacy(await start({ keepLegacy: true }), "L3");
    try {
      assert.deepEqual((await client.get("/")).json(), { user: "cy", cart: null });
      assert.ok(client.jar.has("old") && client.jar.has("session"));
      assert.ok(legacy.records.has("L3"));
      await client.get("/logout");
      assert.ok(!client.jar.has("old"), "logging out clears the legacy cookie too");
      assert.ok(
        !legacy.records.has("L3"),
        "and deletes the legacy record: it cannot log the user back in",
      );
      assert.deepEqual((await client.get("/")).json(), { user: null, cart: null });
    } finally {
      await stop();
    }
  });

  test("a login (regenerate) on the first request keeps the moved data under a new id", async () => {
    legacy.records.set("L4", { data: { user: "di", cart: ["x"] }, expiresAt: Date.now() + HOUR });
    const client = browserWithLegacy(await start(), "L4");
    try {
      assert.deepEqual((await client.get("/login")).json(), { user: "di", cart: ["x"] });
      assert.deepEqual((await client.get("/")).json(), { user: "di", cart: ["x"] });
      assert.equal(legacy.records.size, 0);
    } finally {
      await stop();
    }
  });

  test("requests racing on one legacy session all arrive at one tessera session", async () => {
    legacy.records.set("L5", { data: { user: "ed" }, expiresAt: Date.now() + HOUR });
    const base = await start();
    try {
      const clients = Array.from({ length: 8 }, () => browserWithLegacy(base, "L5"));
      const answers = await Promise.all(clients.map((client) => client.get("/")));
      for (const answer of answers) assert.deepEqual(answer.json(), { user: "ed", cart: null });
      const cookies = new Set(clients.map((client) => client.jar.get("session")));
      assert.equal(cookies.size, 1, "one derived id for all of them");
      let sessions = 0;
      for await (const _ of (manager as SessionManager).store.list()) sessions += 1;
      assert.equal(sessions, 1);
    } finally {
      await stop();
    }
  });

  test("a session moved ahead of time under a secret since rotated out of first place is found", async () => {
    const [older, newer] = [
      randomBytes(32).toString("base64url"),
      randomBytes(32).toString("base64url"),
    ];
    const store = memoryStore();
    // What `tessera migrate` wrote with the older secret; the legacy record is gone since.
    const id = movedSessionId(new Keyring(older), legacy.name, "L9");
    await store.apply(
      id,
      { clear: true, set: new Map([["user", "ha"]]), delete: new Set() },
      { createdAt: Date.now(), expiresAt: Date.now() + HOUR, mustExist: false },
    );
    const client = browserWithLegacy(await start({ secret: [newer, older], store }), "L9");
    try {
      assert.deepEqual((await client.get("/")).json(), { user: "ha", cart: null });
      assert.ok(client.jar.has("session") && !client.jar.has("old"));
    } finally {
      await stop();
    }
  });

  test("reload() on the first request reads the legacy session again, and keeps it moving", async () => {
    legacy.records.set("R1", { data: { user: "ivy" }, expiresAt: Date.now() + HOUR });
    await start();
    try {
      const sessions = manager as SessionManager;
      const scope = sessions.begin({ cookieHeader: "old=R1", encrypted: false });
      (await scope.session()).set("cart", ["dropped by the reload"]);
      assert.equal(await scope.reload(), true, "a session being moved in is not gone");
      const session = await scope.session();
      assert.equal(session.get("user"), "ivy");
      assert.equal(session.get("cart"), undefined);
      const headers = await scope.commit(200);
      assert.ok(headers.setCookie.some((cookie) => cookie.startsWith("session=")));
      assert.ok(headers.setCookie.some((cookie) => /^old=;/.test(cookie)));
      assert.equal(legacy.records.size, 0);
    } finally {
      await stop();
    }
  });

  test("clearing a moved session (a login that starts over) keeps its legacy end", async () => {
    legacy.records.set("C1", { data: { user: "jo" }, expiresAt: Date.now() + 60_000 });
    const client = browserWithLegacy(await start(), "C1");
    try {
      await client.get("/");
      const relogin = await client.get("/relogin");
      assert.deepEqual(relogin.json(), { user: "again", cart: null });
      const cookie = relogin.setCookies.find((header) => header.startsWith("session="));
      const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie ?? "")?.[1] ?? Number.NaN);
      assert.ok(maxAge <= 60, `still ends with the legacy session: Max-Age=${maxAge}`);
    } finally {
      await stop();
    }
  });

  test("keepLegacy: a logout that begins a new session still ends the legacy one", async () => {
    legacy.records.set("K1", { data: { user: "kim" }, expiresAt: Date.now() + HOUR });
    const client = browserWithLegacy(await start({ keepLegacy: true }), "K1");
    try {
      await client.get("/");
      assert.ok(legacy.records.has("K1"));
      await client.get("/logout-then-csrf");
      assert.ok(!client.jar.has("old"));
      assert.ok(!legacy.records.has("K1"));
    } finally {
      await stop();
    }
  });

  test("sessions that lived whole in their cookie move to fresh ids, never a shared one", async () => {
    legacy.keepsRecords = false;
    legacy.records.set("SAME", { data: { lang: "en" }, expiresAt: Date.now() + HOUR });
    const forget = legacy.forget.bind(legacy);
    // A cookie-only library keeps no record: every browser with the same data sends the same cookie.
    legacy.forget = () => undefined as unknown as Promise<void>;
    const base = await start();
    try {
      const [first, second] = [browserWithLegacy(base, "SAME"), browserWithLegacy(base, "SAME")];
      await first.get("/add");
      assert.deepEqual((await second.get("/")).json(), { user: null, cart: null });
      assert.notEqual(first.jar.get("session"), second.jar.get("session"));
      assert.deepEqual((await first.get("/")).json(), { user: null, cart: ["more"] });
    } finally {
      legacy.forget = forget;
      await stop();
    }
  });

  test("a legacy store that fails answers 503 and keeps the legacy cookie for the next try", async () => {
    legacy.records.set("L6", { data: { user: "fi" }, expiresAt: Date.now() + HOUR });
    legacy.failing = true;
    const client = browserWithLegacy(await start(), "L6");
    try {
      const failed = await client.get("/");
      assert.equal(failed.status, 503);
      assert.equal(client.jar.get("old"), "L6");
      legacy.failing = false;
      assert.deepEqual((await client.get("/")).json(), { user: "fi", cart: null });
    } finally {
      await stop();
    }
  });

  test("a legacy record that cannot be deleted leaves the user logged in on tessera", async () => {
    legacy.records.set("L7", { data: { user: "gu" }, expiresAt: Date.now() + HOUR });
    const client = browserWithLegacy(await start(), "L7");
    const forget = legacy.forget.bind(legacy);
    legacy.forget = () => Promise.reject(new Error("cannot delete"));
    try {
      const moved = await client.get("/");
      assert.equal(moved.status, 200);
      assert.deepEqual(moved.json(), { user: "gu", cart: null });
      assert.ok(client.jar.has("session") && !client.jar.has("old"));
    } finally {
      legacy.forget = forget;
      await stop();
    }
  });
});

describe("migrateFrom options", () => {
  before(() => {
    legacy = new FakeLegacy();
  });
  const secret = randomBytes(32).toString("base64url");

  test("cookie formats have no store to move sessions into", () => {
    assert.throws(
      () => createSessions({ secret, format: "sealed", migrateFrom: legacy } as never),
      (error: unknown) => error instanceof ConfigError && /format "sealed"/.test(error.message),
    );
  });

  test("keepLegacy needs migrateFrom, and must be a boolean", () => {
    assert.throws(
      () => createSessions({ secret, store: memoryStore(), keepLegacy: true }),
      /set migrateFrom too/,
    );
    assert.throws(
      () =>
        createSessions({
          secret,
          store: memoryStore(),
          migrateFrom: legacy,
          keepLegacy: "yes" as never,
        }),
      /keepLegacy must be true or false/,
    );
  });

  test("something that is not a legacy source is refused, naming its place", () => {
    assert.throws(
      () => createSessions({ secret, store: memoryStore(), migrateFrom: [legacy, {} as never] }),
      /migrateFrom\[1\] must be a legacy session source/,
    );
  });

  test("a digest node:crypto does not know is refused at startup, not on each request", () => {
    assert.throws(
      () => fastifySession({ secret: "s".repeat(32), algorithm: "sha-257" }),
      (error: unknown) => error instanceof ConfigError && /"sha-257"/.test(error.message),
    );
  });

  test("a misspelt option name points at migrateFrom", () => {
    assert.throws(
      () => createSessions({ secret, store: memoryStore(), migrateFrm: legacy } as never),
      /did you mean "migrateFrom"/,
    );
  });
});
