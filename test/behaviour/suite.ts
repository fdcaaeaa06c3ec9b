import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import fc from "fast-check";
import { createClient, type RedisClientType } from "redis";
import { Keyring } from "../../src/crypto/keyring.ts";
import { newSessionId } from "../../src/crypto/session-id.ts";
import type { IdSessionOptions } from "../../src/engine/options.ts";
import { type ClientResponse, CookieClient } from "../support/client.ts";
import { ensureRedis } from "../support/redis-server.ts";
import type { AdapterHarness, Served } from "./app.ts";
import type { StoreProbe, StoreSpec } from "./fixture.ts";

export const SECRET = "behaviour-suite-secret-0123456789abcdef";
const OLD_SECRET = "behaviour-suite-old-secret-0123456789abcd";

type PortableOptions = Partial<Omit<IdSessionOptions, "store">>;

/** Starts the harness's server with a fresh store; returns the pieces a test pokes at. */
async function start(
  harness: AdapterHarness,
  options: PortableOptions = {},
  store: StoreSpec = { kind: "memory" },
): Promise<{ store: StoreProbe; served: Served; client: CookieClient; close(): Promise<void> }> {
  const served = await harness.serve({ options: { secret: SECRET, ...options }, store });
  return {
    store: served.store as StoreProbe,
    served,
    client: new CookieClient(served.url),
    close: () => served.close(),
  };
}

function sessionCookie(response: ClientResponse): string | undefined {
  return response.setCookies.find((header) => header.startsWith("session="));
}

function cookieValue(header: string | undefined): string | undefined {
  return header?.split(";")[0]?.slice("session=".length);
}

/**
 * The behaviour users rely on (docs/architecture.md, "Behaviour"), pinned once and run through
 * every adapter on every runtime. The store is looked at through the harness's probe, so the
 * same tests run against a server in another process or runtime.
 */
export function runBehaviourSuite(harness: AdapterHarness): void {
  describe(`behaviour through ${harness.name}`, () => {
    let app: Awaited<ReturnType<typeof start>>;
    before(async () => {
      app = await start(harness);
    });
    after(() => app.close());
    beforeEach(async () => {
      app.client.jar.clear();
      await await app.store.reset();
    });

    test("a request that never asks for its session costs nothing and sets nothing", async () => {
      const response = await app.client.get("/noop");
      assert.equal(response.status, 200);
      assert.deepEqual(response.setCookies, []);
      assert.equal(response.headers.get("vary"), null);
      assert.equal((await app.store.counts()).get, 0);
    });

    test("no session cookie: no store read; an empty new session writes nothing and sets no cookie", async () => {
      const response = await app.client.get("/data");
      assert.equal(response.status, 200);
      assert.equal(response.json().isNew, true);
      assert.equal((await app.store.counts()).get, 0);
      assert.equal((await app.store.counts()).writes, 0);
      assert.deepEqual(response.setCookies, []);
      assert.match(response.headers.get("vary") ?? "", /\bCookie\b/);
    });

    test("a change is one store write and a secure-by-default cookie", async () => {
      const response = await app.client.post("/set?user=alice");
      assert.equal((await app.store.counts()).apply, 1);
      assert.equal((await app.store.counts()).writes, 1);
      const cookie = sessionCookie(response);
      assert.ok(cookie, "Set-Cookie for the new session");
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; Path=\//);
      assert.doesNotMatch(
        cookie,
        /; Secure/,
        "plain HTTP: no Secure, or the browser would drop it",
      );
      assert.match(cookie, /; Max-Age=2678400/, "31 days, as Flask");
      const [id] = (cookieValue(cookie) ?? "").split(".");
      assert.equal(id, response.json().id);
      assert.equal(Buffer.from(id ?? "", "base64url").length, 32, "256-bit ids");
    });

    test("read but unchanged: a store read, no write and no cookie", async () => {
      await app.client.post("/set?user=alice");
      await app.store.reset();
      const response = await app.client.get("/data");
      assert.deepEqual(response.json().data, { user: "alice" });
      assert.equal((await app.store.counts()).get, 1);
      assert.equal((await app.store.counts()).writes, 0);
      assert.deepEqual(response.setCookies, []);
      assert.match(response.headers.get("vary") ?? "", /\bCookie\b/);
    });

    test("every write is in the store before the response reaches the client", async () => {
      // Behind a slow store, a write left running after the response would still be missing.
      const slow = await start(harness, {}, { kind: "memory", latency: { minMs: 30, maxMs: 30 } });
      const memory = slow.store;
      try {
        const created = await slow.client.post("/set?user=alice");
        const id = created.json().id as string;
        assert.deepEqual((await memory.get(id))?.data, { user: "alice" }, "created");
        await slow.client.post("/set?cart=1");
        assert.deepEqual((await memory.get(id))?.data, { user: "alice", cart: "1" }, "updated");
        const login = await slow.client.post("/login?user=bob");
        assert.equal(await memory.get(id), undefined, "regenerated: the old id is gone");
        assert.deepEqual((await memory.get(login.json().id))?.data, { user: "bob", cart: "1" });
        await slow.client.post("/destroy");
        assert.equal(await memory.get(login.json().id), undefined, "destroyed");
      } finally {
        await slow.close();
      }
    });

    test("each changed request writes exactly once, whatever it changed", async () => {
      await app.client.post("/set?a=1");
      await app.store.reset();
      await app.client.post("/set?b=2&c=3&d=4");
      assert.equal((await app.store.counts()).apply, 1);
      await app.client.post("/delete?key=b");
      assert.equal((await app.store.counts()).apply, 2);
      assert.deepEqual((await app.client.get("/data")).json().data, { a: "1", c: "3", d: "4" });
      await app.client.post("/clear");
      assert.deepEqual((await app.client.get("/data")).json().data, {});
    });

    test("a forged signature gives a fresh session and never adopts the client's id", async () => {
      const created = await app.client.post("/set?user=alice");
      const value = cookieValue(sessionCookie(created)) ?? "";
      const [id, signature] = value.split(".");
      const forged = `${id}.${(signature ?? "").slice(0, -2)}AA`;
      await app.store.reset();
      const response = await app.client.post("/set?user=mallory", "", {
        cookie: `session=${forged}`,
      });
      assert.equal(response.status, 200);
      assert.equal((await app.store.counts()).get, 0, "a bad signature never reaches the store");
      const newId = cookieValue(sessionCookie(response))?.split(".")[0];
      assert.ok(newId);
      assert.notEqual(newId, id);
      assert.equal(response.json().id, newId);
    });

    test("an unsigned id, even a live one, gives a fresh session without a store read", async () => {
      const created = await app.client.post("/set?user=alice");
      const id = created.json().id as string;
      await app.store.reset();
      const response = await app.client.post("/set?user=mallory", "", { cookie: `session=${id}` });
      assert.equal(response.status, 200);
      assert.equal((await app.store.counts()).get, 0, "an unsigned id never reaches the store");
      const newId = cookieValue(sessionCookie(response))?.split(".")[0];
      assert.ok(newId);
      assert.notEqual(newId, id, "the client's id is never adopted");
      assert.deepEqual((await app.store.get(id))?.data, { user: "alice" }, "alice untouched");
    });

    test("an unknown but validly signed id gives a fresh session with a new id", async () => {
      const unknownId = newSessionId();
      const signed = `${unknownId}.${new Keyring(SECRET).sign("session-id", unknownId)}`;
      const response = await app.client.post("/set?user=mallory", "", {
        cookie: `session=${signed}`,
      });
      assert.equal(response.status, 200);
      const newId = cookieValue(sessionCookie(response))?.split(".")[0];
      assert.notEqual(newId, unknownId, "the client's id is never adopted");
      assert.equal(await app.store.get(unknownId), undefined);
    });

    test("an expired session gives a fresh one and drops the dead cookie", async () => {
      const created = await app.client.post("/set?user=alice");
      const id = created.json().id as string;
      // Age the record as time would: its expiry passes.
      await app.store.touch(id, Date.now() - 1);
      const response = await app.client.get("/data");
      assert.deepEqual(response.json().data, {});
      assert.equal(response.json().isNew, true);
      assert.notEqual(response.json().id, id);
      assert.match(sessionCookie(response) ?? "", /Max-Age=0/, "the dead cookie is cleared");
    });

    test("malformed cookies of every shape give a fresh session, never an error", async () => {
      const shapes = [
        "",
        ".",
        "abc",
        "abc.def",
        "%",
        "%E0%A4%A",
        "a".repeat(5000),
        `${newSessionId()}.`,
        `.${"A".repeat(43)}`,
        `${"!".repeat(43)}.${"A".repeat(43)}`,
        "\u0000\u0001",
      ];
      for (const shape of shapes) {
        const response = await app.client.get("/data", {
          cookie: `session=${encodeURIComponent(shape)}`,
        });
        assert.equal(response.status, 200, `cookie ${JSON.stringify(shape.slice(0, 20))}`);
        assert.equal(response.json().isNew, true);
      }
      const garbage = await app.client.get("/data", { cookie: ";;==;session;=;\t" });
      assert.equal(garbage.status, 200);
    });

    test("any Cookie header at all gives a working response, never a 5xx (property)", async () => {
      const created = await app.client.post("/set?user=alice");
      const real = cookieValue(sessionCookie(created)) ?? "";
      // Header values must be visible ASCII (fetch refuses the rest before it leaves).
      const headerText = fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      });
      const mangled = fc
        .tuple(fc.nat(real.length), headerText)
        .map(
          ([at, insert]) =>
            `session=${real.slice(0, at)}${insert}${real.slice(at + insert.length)}`,
        );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(headerText, mangled, fc.constant(`session=${real}`)),
          async (header) => {
            const response = await app.client.get("/data", { cookie: header });
            assert.equal(response.status, 200, `Cookie: ${header}`);
            const body = response.json();
            // Only the real cookie, or one the mangling left intact, opens alice's session.
            if (body.isNew === false) assert.deepEqual(body.data, { user: "alice" });
          },
        ),
        { numRuns: 150 },
      );
    });

    test("a tossed cookie of the same name does not hide the real one", async () => {
      const created = await app.client.post("/set?user=alice");
      const real = cookieValue(sessionCookie(created));
      const response = await app.client.get("/data", {
        cookie: `session=planted.value; session=${real}`,
      });
      assert.deepEqual(response.json().data, { user: "alice" });
    });

    test("a validly signed but dead cookie sent first does not push the user out", async () => {
      const planted = new CookieClient(app.served.url);
      await planted.post("/set?user=mallory");
      const dead = planted.jar.get("session");
      await planted.post("/destroy");
      const created = await app.client.post("/set?user=alice");
      const real = cookieValue(sessionCookie(created));
      const response = await app.client.get("/data", {
        cookie: `session=${dead}; session=${real}`,
      });
      assert.deepEqual(response.json().data, { user: "alice" });
      assert.deepEqual(response.setCookies, [], "the real cookie is not deleted");
    });

    test("a new session that ends up empty stores nothing and sets no cookie", async () => {
      const response = await app.client.post("/flash-and-show");
      assert.deepEqual(response.json(), [{ category: "message", message: "shown at once" }]);
      assert.equal((await app.store.counts()).writes, 0);
      assert.deepEqual(response.setCookies, []);
    });

    test("making an existing session non-permanent re-sends its cookie without Max-Age", async () => {
      await app.client.post("/set?user=alice");
      const response = await app.client.post("/permanent?value=false");
      const cookie = sessionCookie(response);
      assert.ok(cookie, "the cookie is sent again");
      assert.doesNotMatch(cookie, /Max-Age|Expires/);
    });

    test("regenerate issues a new id, keeps the data and removes the old record", async () => {
      const created = await app.client.post("/set?cart=3");
      const oldId = created.json().id as string;
      const response = await app.client.post("/login?user=alice");
      const newId = response.json().id as string;
      assert.notEqual(newId, oldId);
      assert.equal(cookieValue(sessionCookie(response))?.split(".")[0], newId);
      assert.equal(await app.store.get(oldId), undefined, "old record removed");
      assert.deepEqual((await app.client.get("/data")).json().data, { cart: "3", user: "alice" });
    });

    test("destroy deletes the record and clears the cookie; the old cookie is dead", async () => {
      const created = await app.client.post("/set?user=alice");
      const oldCookie = cookieValue(sessionCookie(created));
      const id = created.json().id as string;
      const response = await app.client.post("/destroy");
      assert.match(sessionCookie(response) ?? "", /^session=; .*Max-Age=0/);
      assert.equal(await app.store.get(id), undefined);
      const replay = await app.client.get("/data", { cookie: `session=${oldCookie}` });
      assert.equal(replay.json().isNew, true);
      assert.deepEqual(replay.json().data, {});
    });

    test("destroy after regenerate leaves no record under either id", async () => {
      const created = await app.client.post("/set?user=alice");
      const oldId = created.json().id as string;
      const response = await app.client.post("/regenerate-then-destroy");
      assert.equal(await app.store.get(oldId), undefined);
      assert.equal(await app.store.get(response.json().id), undefined);
      assert.match(sessionCookie(response) ?? "", /Max-Age=0/);
    });

    test("a session destroyed and then flashed continues as a new session", async () => {
      await app.client.post("/set?user=alice");
      const response = await app.client.post("/destroy?flash=Logged%20out");
      const cookie = sessionCookie(response);
      assert.ok(cookie && !/Max-Age=0/.test(cookie), "a new session cookie, not a deletion");
      const flashes = (await app.client.get("/flashes")).json();
      assert.deepEqual(flashes, [{ category: "message", message: "Logged out" }]);
      assert.deepEqual((await app.client.get("/flashes")).json(), [], "consumed once");
    });

    test("flash messages are kept per category until consumed", async () => {
      await app.client.post("/flash?message=saved&category=info");
      await app.client.post("/flash?message=careful&category=warning");
      assert.deepEqual((await app.client.get("/flashes?category=warning")).json(), [
        { category: "warning", message: "careful" },
      ]);
      assert.deepEqual((await app.client.get("/flashes")).json(), [
        { category: "info", message: "saved" },
      ]);
    });

    test("a non-permanent session gets a browser-session cookie", async () => {
      const response = await app.client.post("/permanent?value=false");
      const cookie = sessionCookie(response);
      assert.ok(cookie);
      assert.doesNotMatch(cookie, /Max-Age|Expires/);
    });

    test("a handler that fails saves nothing and answers 500", async () => {
      await app.client.post("/set?user=alice");
      const original = console.error;
      console.error = () => {};
      try {
        const response = await app.client.post("/fail");
        assert.equal(response.status, 500);
      } finally {
        console.error = original;
      }
      assert.deepEqual((await app.client.get("/data")).json().data, { user: "alice" });
    });

    test("plain cookies set, read and delete", async () => {
      const set = await app.client.post("/cookie?name=user&value=bob%20smith");
      assert.match(set.setCookies[0] ?? "", /^user=bob%20smith; /);
      assert.deepEqual((await app.client.get("/cookie?name=user")).json(), { value: "bob smith" });
    });

    for (const [name, makeStore] of storeSpecs(harness)) {
      test(`50 concurrent requests changing different keys keep all 50 (${name})`, async () => {
        const concurrent = await start(harness, {}, await makeStore());
        try {
          await concurrent.client.post("/set?start=1");
          const keys = Array.from({ length: 50 }, (_, index) => `key${index}`);
          const responses = await Promise.all(
            keys.map((key) => concurrent.client.post(`/set?${key}=${key}`)),
          );
          assert.ok(responses.every((response) => response.status === 200));
          const data = (await concurrent.client.get("/data")).json().data;
          for (const key of keys) assert.equal(data[key], key, `${key} kept`);
          assert.equal(Object.keys(data).length, 51);
        } finally {
          await concurrent.close();
        }
      });
    }

    test("rolling: a read past the throttle touches once and refreshes the cookie", async () => {
      const rolling = await start(harness, { lifetime: "1h", touchAfter: "10m" });
      try {
        const created = await rolling.client.post("/set?user=alice");
        const id = created.json().id as string;
        await rolling.store.reset();
        const fresh = await rolling.client.get("/data");
        assert.equal((await rolling.store.counts()).touch, 0, "within the throttle: no touch");
        assert.deepEqual(fresh.setCookies, []);
        // Make the record look 15 minutes old: due for a touch.
        await rolling.store.touch(id, Date.now() + 45 * 60_000);
        await rolling.store.reset();
        const due = await rolling.client.get("/data");
        assert.equal((await rolling.store.counts()).touch, 1);
        assert.equal((await rolling.store.counts()).apply, 0, "a touch, not a rewrite");
        assert.match(sessionCookie(due) ?? "", /Max-Age=3(599|600)/);
        const record = await rolling.store.get(id);
        assert.ok(record && record.expiresAt > Date.now() + 59 * 60_000);
        await rolling.store.reset();
        await rolling.client.get("/data");
        assert.equal((await rolling.store.counts()).touch, 0, "touched once, then throttled again");
      } finally {
        await rolling.close();
      }
    });

    test("rolling off: reads never touch", async () => {
      const fixed = await start(harness, { lifetime: "1h", touchAfter: "10m", rolling: false });
      try {
        const created = await fixed.client.post("/set?user=alice");
        await fixed.store.touch(created.json().id, Date.now() + 5 * 60_000);
        await fixed.store.reset();
        const response = await fixed.client.get("/data");
        assert.equal((await fixed.store.counts()).writes, 0);
        assert.deepEqual(response.setCookies, []);
      } finally {
        await fixed.close();
      }
    });

    test("absolute lifetime ends a session however active it is", async () => {
      const capped = await start(harness, { lifetime: "1h", absoluteLifetime: "2h" });
      try {
        const created = await capped.client.post("/set?user=alice");
        const id = created.json().id as string;
        const cookie = sessionCookie(created) ?? "";
        // Rewrite the record as if it had been created three hours ago and kept active.
        const patch = {};
        await capped.store.destroy(id);
        await capped.store.apply(id, patch, {
          createdAt: Date.now() - 3 * 3_600_000,
          expiresAt: Date.now() + 3_600_000,
          mustExist: false,
        });
        const response = await capped.client.get("/data", { cookie: cookie.split(";")[0] ?? "" });
        assert.equal(response.json().isNew, true);
        // And a write never pushes the expiry past the absolute limit.
        const renewed = await capped.client.post("/set?user=alice");
        const record = await capped.store.get(renewed.json().id);
        assert.ok(record && record.expiresAt <= record.createdAt + 2 * 3_600_000);
      } finally {
        await capped.close();
      }
    });

    test("a write late in a session's absolute lifetime expires it at that limit, not later", async () => {
      const capped = await start(harness, { lifetime: "1h", absoluteLifetime: "2h" });
      try {
        const created = await capped.client.post("/set?user=alice");
        const id = created.json().id as string;
        // The record was created 90 minutes ago and kept active: 30 minutes of it remain.
        const createdAt = Date.now() - 90 * 60_000;
        const patch = { set: { user: "alice" } };
        await capped.store.destroy(id);
        await capped.store.apply(id, patch, {
          createdAt,
          expiresAt: Date.now() + 30 * 60_000,
          mustExist: false,
        });
        const written = await capped.client.post("/set?cart=1");
        const record = await capped.store.get(id);
        assert.deepEqual(record?.data, { user: "alice", cart: "1" });
        assert.equal(record?.createdAt, createdAt);
        assert.ok(
          record && record.expiresAt <= createdAt + 2 * 3_600_000,
          "the idle lifetime does not reach past the absolute one",
        );
        const maxAge = Number(/Max-Age=(\d+)/.exec(sessionCookie(written) ?? "")?.[1]);
        assert.ok(maxAge > 0 && maxAge <= 30 * 60, `Max-Age ${maxAge} is capped too`);
      } finally {
        await capped.close();
      }
    });

    test("secret rotation: an old-key cookie is accepted and re-issued with the newest key", async () => {
      // Two servers, one after the other, on one store that outlives them (Redis).
      const store = await redisSpec();
      const before = await start(harness, { secret: OLD_SECRET }, store);
      const created = await before.client.post("/set?user=alice");
      await before.close();
      const rotated = await start(harness, { secret: [SECRET, OLD_SECRET] }, store);
      try {
        const response = await rotated.client.get("/data", {
          cookie: (sessionCookie(created) ?? "").split(";")[0] ?? "",
        });
        assert.deepEqual(response.json().data, { user: "alice" });
        const reissued = cookieValue(sessionCookie(response)) ?? "";
        const [id, signature] = reissued.split(".");
        assert.equal(id, created.json().id);
        assert.ok(new Keyring(SECRET).verify("session-id", id ?? "", signature ?? "").valid);
        assert.equal((await rotated.store.counts()).writes, 0, "re-signing costs no store write");
      } finally {
        await rotated.close();
      }
    });

    test("secure: auto marks the cookie Secure behind a trusted HTTPS proxy, not an untrusted one", async () => {
      const untrusted = await app.client.post("/set?a=1", "", { "x-forwarded-proto": "https" });
      assert.doesNotMatch(sessionCookie(untrusted) ?? "", /; Secure/);
      const proxied = await start(harness, { trustProxy: true });
      try {
        const response = await proxied.client.post("/set?a=1", "", {
          "x-forwarded-proto": "https",
        });
        assert.match(sessionCookie(response) ?? "", /; Secure/);
      } finally {
        await proxied.close();
      }
    });

    test("a store that stops answering gives a quick 503, never a hang or a false 2xx", async () => {
      const outage = await start(harness, { storeTimeout: "150ms" });
      const flaky = outage.store;
      try {
        await outage.client.post("/set?user=alice");
        for (const mode of ["hang", "refuse"] as const) {
          await flaky.setMode(mode);
          const started = Date.now();
          const read = await outage.client.get("/data");
          assert.equal(read.status, 503, `${mode}: read`);
          // 150 ms of storeTimeout, plus the request itself: well under a second.
          assert.ok(Date.now() - started < 1_000, `${mode}: answered within the timeout`);
          assert.match(read.text, /session store/);
          assert.equal(read.headers.get("retry-after"), "1", `${mode}: try again shortly`);
        }
        await flaky.setMode("up");
        assert.deepEqual((await outage.client.get("/data")).json().data, { user: "alice" });
        // A change that cannot be stored is never acknowledged.
        await flaky.setMode("refuse");
        const newcomer = new CookieClient(outage.served.url);
        const write = await newcomer.post("/set?user=bob");
        assert.equal(write.status, 503);
        assert.deepEqual(write.setCookies, []);
        await flaky.setMode("up");
        assert.equal((await outage.client.get("/data")).status, 200, "back without a restart");
      } finally {
        await outage.close();
      }
    });
  });
}

/** The Redis prefixes the suite used, removed at the end (sessions live 31 days). */
const redisPrefixes: string[] = [];
after(async () => {
  if (redisPrefixes.length === 0) return;
  const client = (await createClient({ url: await ensureRedis() }).connect()) as RedisClientType;
  for (const prefix of redisPrefixes) {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys);
    }
  }
  await client.quit();
});

/** A Redis store of its own for one test, on the suite's Redis (started when none answers). */
async function redisSpec(): Promise<StoreSpec> {
  const prefix = `tessera-behaviour:${randomBytes(6).toString("base64url")}:`;
  redisPrefixes.push(prefix);
  return { kind: "redis", url: await ensureRedis(), prefix };
}

function storeSpecs(
  harness: AdapterHarness,
): Array<[string, () => StoreSpec | Promise<StoreSpec>]> {
  const sqlite = (): StoreSpec => ({
    kind: "sqlite",
    path: join(mkdtempSync(join(tmpdir(), "tessera-behaviour-")), "s.db"),
  });
  // The in-process stores answer within one turn of the event loop, so without a delay the
  // requests never interleave between their read and their write.
  const latency = { minMs: 0, maxMs: 5 };
  return [
    ["memory", () => ({ kind: "memory" })],
    ["memory, with store latency", () => ({ kind: "memory", latency })],
    ...(harness.sqlite
      ? ([
          ["sqlite", sqlite],
          ["sqlite, with store latency", () => ({ ...sqlite(), latency })],
        ] as Array<[string, () => StoreSpec]>)
      : []),
    ["redis", redisSpec],
  ];
}
