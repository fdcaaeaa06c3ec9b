import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createSessions } from "../../src/engine/manager.ts";
import { ConfigError } from "../../src/errors.ts";
import { memoryStore } from "../../src/stores/memory.ts";

const secret = "options-test-secret-0123456789abcdef";

describe("session options", () => {
  test("defaults follow Flask and secure practice", () => {
    const { options } = createSessions({ secret, store: memoryStore() });
    assert.equal(options.lifetimeMs, 31 * 86_400_000);
    assert.equal(options.absoluteLifetimeMs, undefined);
    assert.equal(options.rolling, true);
    assert.equal(options.touchAfterMs, 86_400_000, "a tenth of 31 days, capped at one day");
    assert.equal(options.permanent, true);
    assert.equal(options.trustProxy, false);
    assert.equal(options.storeTimeoutMs, 1_000);
    assert.deepEqual(options.cookie, {
      name: "session",
      path: "/",
      secure: "auto",
      httpOnly: true,
      sameSite: "lax",
      partitioned: false,
    });
  });

  test("the default store is the embedded SQLite store", async () => {
    const previous = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), "tessera-default-store-")));
    const sessions = createSessions({ secret });
    try {
      assert.equal(sessions.store.kind, "sqlite");
      assert.ok(
        existsSync("data/sessions.db"),
        "kept in data/sessions.db under the working directory",
      );
    } finally {
      await sessions.close();
      process.chdir(previous);
    }
  });

  test("mistakes are configuration errors naming the value", () => {
    const store = memoryStore();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ lifetime: "31 days" }, /lifetime "31 days" is not a duration/],
      [{ lifetime: "500ms" }, /lifetime must be at least one second/],
      [
        { lifetime: "1h", touchAfter: "2h" },
        /touchAfter \(2h\) must be shorter than lifetime \(1h\)/,
      ],
      [{ storeTimeout: 0 }, /storeTimeout must be positive/],
      [
        { cookie: { sameSite: "relaxed" } },
        /cookie.sameSite must be "strict", "lax" or "none"; got "relaxed"/,
      ],
      [{ cookie: { secure: "yes" } }, /cookie.secure must be true, false or "auto"; got yes/],
      [
        { cookie: { name: "__Host-id", domain: "example.com" } },
        /__Host- prefix.*Path=\/ and no Domain/,
      ],
      [{ cookie: { name: "__Secure-id", secure: false } }, /only with Secure/],
      [{ store: {} }, /`store` must be a session store/],
      [{ secret: "short" }, /5 bytes; at least 24/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(
        () => createSessions({ secret, store, ...overrides } as never),
        (error: unknown) => error instanceof Error && message.test(error.message),
        `${JSON.stringify(overrides)} → ${message}`,
      );
    }
    assert.throws(() => createSessions({ secret: "short", store }), ConfigError);
  });

  test("switches that are not booleans, bad cookie attributes and mismatched Redis layouts stop the start", async () => {
    const store = memoryStore();
    assert.throws(
      () => createSessions({ secret, store, permanent: "false" as unknown as boolean }),
      /permanent must be true or false; got "false" \(a string/,
    );
    assert.throws(
      () => createSessions({ secret, store, rolling: 0 as unknown as boolean }),
      /rolling must be true or false/,
    );
    assert.throws(
      () => createSessions({ secret, store, cookie: { path: "/a;b" } }),
      (error: Error) => error instanceof ConfigError && /^cookie: /.test(error.message),
    );
    assert.throws(
      () => createSessions({ secret, store, cookie: { domain: "exa mple.com" } }),
      (error: Error) => error instanceof ConfigError && /^cookie: /.test(error.message),
    );
    const { createClient } = await import("redis");
    const { redisStore } = await import("../../src/stores/redis/index.ts");
    // The clients never connect: the options are refused before any command.
    const client = createClient();
    assert.throws(
      () => createSessions({ secret, format: "flask-session", store: redisStore({ client }) }),
      /use redisStore\(\{ client, layout: "flask-session" \}\)/,
    );
    assert.throws(
      () => createSessions({ secret, store: redisStore({ client, layout: "flask-session" }) }),
      /use format "flask-session" with it/,
    );
  });

  test("a TLS connection makes the cookie Secure under secure: auto", async () => {
    const sessions = createSessions({ secret, store: memoryStore() });
    const scope = sessions.begin({ cookieHeader: undefined, encrypted: true });
    (await scope.session()).set("a", 1);
    const headers = await scope.commit();
    assert.match(headers.setCookie[0] ?? "", /; Secure/);
    assert.equal(headers.varyCookie, true);
  });

  test("a __Host- session cookie is sent with Secure, Path=/ and no Domain", async () => {
    const sessions = createSessions({
      secret,
      store: memoryStore(),
      cookie: { name: "__Host-session" },
    });
    const scope = sessions.begin({ cookieHeader: undefined, encrypted: true });
    (await scope.session()).set("a", 1);
    const [cookie] = (await scope.commit()).setCookie;
    assert.match(cookie ?? "", /^__Host-session=.*; Path=\/;.*; Secure/);
    assert.doesNotMatch(cookie ?? "", /Domain/);
  });

  test("commit runs once per request", async () => {
    const sessions = createSessions({ secret, store: memoryStore() });
    const scope = sessions.begin({ cookieHeader: undefined, encrypted: false });
    await scope.commit();
    assert.throws(() => scope.commit(), /already committed/);
  });
});
