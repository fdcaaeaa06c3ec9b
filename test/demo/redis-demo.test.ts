/**
 * The demo on many machines: two demo processes (`npm start`) on different ports, one Redis, one
 * SECRET_KEY. A browser's cookie is good on either; a logout on one is a logout on both; "log
 * out everywhere" ends the user's sessions in every browser. Also: how the demo starts, fails to
 * start, rides out and shuts down through a Redis outage. Real processes, real HTTP, real Redis.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CookieClient } from "../support/client.ts";
import {
  type DemoProcess,
  runDemoExpectingExit,
  startDemo,
  startDemos,
} from "../support/demo-process.ts";
import {
  deleteKeysUnder as deleteKeysUnderAt,
  ensureRedis,
  freePort,
  type RedisAddress,
  redisCommand,
  redisPipeline,
  startRedisServer,
} from "../support/redis-server.ts";

const url = await ensureRedis();
const address: RedisAddress = {
  host: new URL(url).hostname,
  port: Number(new URL(url).port || 6379),
};
const SECRET_KEY = randomBytes(32).toString("base64url");
/** Every key this run writes starts with it, so runs never meet and cleanup is exact. */
const PREFIX = `tessera-demo-test:${randomBytes(6).toString("base64url")}:`;

function workdir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-redis-demo-"));
}

function deleteKeysUnder(prefix: string): Promise<void> {
  return deleteKeysUnderAt(address, prefix);
}

/** A username no other test (or run) uses. */
function user(name: string): string {
  return `${name}-${randomBytes(3).toString("hex")}`;
}

describe("the demo on many machines: two processes, one Redis", () => {
  const env = { SECRET_KEY, SESSION_STORE: url, SESSION_PREFIX: PREFIX };
  let a: DemoProcess;
  let b: DemoProcess;
  before(async () => {
    [a, b] = (await startDemos([workdir(), workdir()], env)) as [DemoProcess, DemoProcess];
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteKeysUnder(PREFIX);
  });

  // A browser keeps cookies by host, not by port: one CookieClient talks to both machines, as a
  // browser behind a load balancer does. Paths are absolute URLs, so each request picks its machine.
  const on = (demo: DemoProcess, path: string): string => `${demo.url}${path}`;

  test("both start on Redis, say where (without credentials), and listen on different ports", () => {
    const where = `redis://${address.host}:${address.port}`;
    for (const demo of [a, b]) {
      assert.ok(
        demo.output().includes(`(sessions: redis at ${where})`),
        `startup line names the Redis:\n${demo.output()}`,
      );
    }
    assert.notEqual(a.url, b.url);
  });

  test("a login through A is seen by B, with the same cookie", async () => {
    const name = user("alice");
    const browser = new CookieClient(a.url);
    const login = await browser.post(on(a, "/login"), `username=${name}`);
    assert.equal(login.status, 303);
    const cookie = browser.jar.get("session");
    assert.ok(cookie, "A set a session cookie");
    const me = await browser.get(on(b, "/api/me"));
    assert.equal(me.status, 200);
    assert.deepEqual(me.json(), { username: name });
    assert.match((await browser.get(on(b, "/"))).text, new RegExp(`Hello, ${name}`));
    assert.equal(browser.jar.get("session"), cookie, "B kept the cookie A issued");
    // The record is one inspectable hash under the run's prefix.
    const key = `${PREFIX}${cookie.split(".")[0]}`;
    assert.equal(await redisCommand(address, "HGET", key, "username"), JSON.stringify(name));
  });

  test("a logout through B ends the session on A", async () => {
    const browser = new CookieClient(a.url);
    await browser.post(on(a, "/login"), `username=${user("bob")}`);
    const cookie = browser.jar.get("session");
    assert.equal((await browser.get(on(a, "/api/me"))).status, 200);
    const logout = await browser.post(on(b, "/logout"));
    assert.equal(logout.status, 303);
    assert.equal(browser.jar.has("session"), false, "B cleared the cookie");
    const replay = await new CookieClient(a.url).get("/api/me", { cookie: `session=${cookie}` });
    assert.equal(replay.status, 401, "A no longer knows the session");
  });

  test("a logout through A ends the session on B", async () => {
    const browser = new CookieClient(b.url);
    await browser.post(on(b, "/login"), `username=${user("carol")}`);
    const cookie = browser.jar.get("session");
    assert.equal((await browser.get(on(a, "/api/me"))).status, 200, "A sees B's login");
    assert.equal((await browser.post(on(a, "/logout"))).status, 303);
    const replay = await new CookieClient(b.url).get("/api/me", { cookie: `session=${cookie}` });
    assert.equal(replay.status, 401, "B no longer knows the session");
  });

  test("log out everywhere through A ends the user's session in a second browser on B", async () => {
    const name = user("erin");
    const laptop = new CookieClient(a.url);
    const phone = new CookieClient(b.url);
    const someoneElse = new CookieClient(b.url);
    await laptop.post(on(a, "/login"), `username=${name}`);
    await phone.post(on(b, "/login"), `username=${name}`);
    await someoneElse.post(on(b, "/login"), `username=${user("frank")}`);
    const phoneCookie = phone.jar.get("session");
    assert.equal((await phone.get(on(b, "/api/me"))).status, 200);

    const home = await laptop.get(on(a, "/"));
    assert.match(
      home.text,
      /<form method="post" action="\/logout-everywhere"><button type="submit"[^>]*>Log out everywhere<\/button><\/form>/,
    );
    const everywhere = await laptop.post(on(a, "/logout-everywhere"));
    assert.equal(everywhere.status, 303);
    assert.equal(everywhere.headers.get("location"), "/");

    const after = await laptop.get(on(a, "/"));
    assert.match(
      after.text,
      /<p class="flash"[^>]*>Logged out everywhere: 2 sessions ended\.<\/p>/,
    );
    assert.match(after.text, /You are not logged in/);
    assert.equal((await laptop.get(on(b, "/api/me"))).status, 401, "the laptop is logged out");
    assert.equal((await phone.get(on(b, "/api/me"))).status, 401, "the phone is logged out on B");
    const replay = await new CookieClient(a.url).get("/api/me", {
      cookie: `session=${phoneCookie}`,
    });
    assert.equal(replay.status, 401, "and on A");
    assert.equal((await someoneElse.get(on(a, "/api/me"))).status, 200, "other users stay in");
    // Nothing of the user's is left: no session and no index entry.
    const index = await redisCommand(address, "ZCARD", `${PREFIX}user:${name}`);
    assert.equal(index, 0);
    // The flash shown, the laptop's session was empty: it ended, leaving no cookie and no
    // record holding only its creation time.
    assert.equal(laptop.jar.get("session"), undefined, "the emptied session's cookie is cleared");
    let cursor = "0";
    do {
      const [next, keys] = (await redisCommand(
        address,
        "SCAN",
        cursor,
        "MATCH",
        `${PREFIX}*`,
        "COUNT",
        "1000",
        "TYPE",
        "hash",
      )) as [string, string[]];
      for (const key of keys) {
        assert.notEqual(await redisCommand(address, "HLEN", key), 1, `${key} holds only @created`);
      }
      cursor = next;
    } while (cursor !== "0");
  });

  test("log out everywhere without a login goes to the login page", async () => {
    const response = await new CookieClient(a.url).post("/logout-everywhere");
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/login");
  });
});

describe("the demo's Redis setting", () => {
  test("a Redis that does not answer at startup is one clear line and exit 1, after a 5 s deadline", async () => {
    // Nothing listening; and a server that accepts connections but never says a word.
    const refusedPort = await freePort();
    const silentSockets = new Set<Socket>();
    const silent = createServer((socket) => {
      silentSockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const cases = [
        { setting: `redis://127.0.0.1:${refusedPort}`, shown: `redis://127.0.0.1:${refusedPort}` },
        {
          setting: `rediss://someone:hunter2-password@127.0.0.1:${refusedPort}/4`,
          shown: `rediss://127.0.0.1:${refusedPort}/4`,
        },
        { setting: `redis://127.0.0.1:${silentPort}`, shown: `redis://127.0.0.1:${silentPort}` },
      ];
      const results = await Promise.all(
        cases.map(async ({ setting, shown }) => {
          const started = performance.now();
          const result = await runDemoExpectingExit(workdir(), {
            SECRET_KEY,
            SESSION_STORE: setting,
          });
          return { ...result, shown, elapsed: performance.now() - started };
        }),
      );
      for (const { code, output, shown, elapsed } of results) {
        assert.equal(code, 1, output);
        const lines = output.trim().split("\n");
        assert.equal(lines.length, 1, `one line, no stack trace:\n${output}`);
        assert.ok(
          lines[0]?.startsWith(`tessera demo cannot start: Redis at ${shown} did not answer`),
          output,
        );
        assert.doesNotMatch(output, /hunter2|someone/, "credentials are never printed");
        // It gives up (after its 5 s deadline, plus starting up, which a loaded machine slows):
        // it does not hang until the test's own timeout.
        assert.ok(elapsed < 45_000, `gave up after ${Math.round(elapsed)} ms`);
      }
      assert.match(results[0]?.output ?? "", /ECONNREFUSED/, "the cause is named");
    } finally {
      for (const socket of silentSockets) socket.destroy();
      silent.close();
    }
  });

  test("an unknown SESSION_STORE lists redis://HOST:PORT among the choices", async () => {
    const { code, output } = await runDemoExpectingExit(workdir(), {
      SECRET_KEY,
      SESSION_STORE: "mongo://x",
    });
    assert.equal(code, 1);
    assert.match(output, /SESSION_STORE "mongo:\/\/x" is not known: .*redis:\/\/HOST:PORT/);
  });

  test("a malformed Redis URL and a SESSION_PREFIX without Redis are clear errors", async () => {
    const [badUrl, badDb, stray] = await Promise.all([
      runDemoExpectingExit(workdir(), { SECRET_KEY, SESSION_STORE: "redis://user:pw@:notaport" }),
      runDemoExpectingExit(workdir(), { SECRET_KEY, SESSION_STORE: "redis://127.0.0.1/x" }),
      runDemoExpectingExit(workdir(), { SECRET_KEY, SESSION_PREFIX: "app:" }),
    ]);
    assert.equal(badUrl.code, 1);
    assert.match(
      badUrl.output,
      /^tessera demo cannot start: SESSION_STORE is not a valid Redis URL/,
    );
    assert.doesNotMatch(badUrl.output, /pw/);
    assert.equal(badDb.code, 1);
    assert.match(badDb.output, /database must be a number/);
    assert.equal(stray.code, 1);
    assert.match(stray.output, /SESSION_PREFIX only applies to a Redis store/);
  });

  test("a store without a per-user index still logs a user out everywhere, by reading every session", async () => {
    const demo = await startDemo(workdir(), { SECRET_KEY, SESSION_STORE: "memory" });
    try {
      const laptop = new CookieClient(demo.url);
      const phone = new CookieClient(demo.url);
      const someoneElse = new CookieClient(demo.url);
      await laptop.post("/login", "username=grace");
      await phone.post("/login", "username=grace");
      await someoneElse.post("/login", "username=heidi");
      const list = await laptop.get("/sessions");
      assert.equal(
        list.text.match(/action="\/sessions\/revoke"/g)?.length,
        2,
        "grace's two sessions",
      );
      assert.match(
        list.text,
        /keeps no per-user index, so the demo found these by reading every session/,
      );
      const everywhere = await laptop.post("/logout-everywhere");
      assert.equal(everywhere.status, 303);
      assert.match((await laptop.get("/")).text, /Logged out everywhere: 2 sessions ended\./);
      assert.equal((await phone.get("/api/me")).status, 401, "the phone is logged out");
      assert.equal((await someoneElse.get("/api/me")).status, 200, "other users stay in");
    } finally {
      await demo.stop();
    }
  });

  test("user:password@host/db: sessions in that db, an outage is 503 not a crash, back after a restart, and a stop while Redis is down", async () => {
    const password = "s3cret-demo-pw";
    const server = await startRedisServer({
      args: ["--user", "demo", "on", `>${password}`, "~*", "&*", "+@all"],
    });
    let demo: DemoProcess | undefined;
    try {
      demo = await startDemo(workdir(), {
        SECRET_KEY,
        SESSION_STORE: `redis://demo:${password}@127.0.0.1:${server.port}/2`,
      });
      assert.ok(
        demo.output().includes(`(sessions: redis at redis://127.0.0.1:${server.port}/2)`),
        demo.output(),
      );
      assert.doesNotMatch(demo.output(), /s3cret/);

      const browser = new CookieClient(demo.url);
      await browser.post("/login", "username=heidi");
      const id = browser.jar.get("session")?.split(".")[0];
      const [, , inDb2] = await redisPipeline({ host: "127.0.0.1", port: server.port }, [
        ["AUTH", "demo", password],
        ["SELECT", "2"],
        ["EXISTS", `session:${id}`],
      ]);
      assert.equal(inDb2, 1, "the session is in database 2");

      await server.kill("SIGKILL");
      for (let attempt = 0; attempt < 5; attempt++) {
        const started = performance.now();
        const down = await browser.get("/api/me");
        const elapsed = performance.now() - started;
        assert.equal(down.status, 503);
        assert.equal(down.headers.get("retry-after"), "1");
        assert.match(down.text, /session store is not answering/);
        assert.equal(typeof down.json().error, "string", "/api/ answers JSON");
        assert.ok(elapsed < 1_500, `503 after ${Math.round(elapsed)} ms`);
        await sleep(50);
      }
      const page = await browser.get("/");
      assert.equal(page.status, 503);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(page.text, /<h1>503 Try again shortly<\/h1>/);
      assert.match(demo.output(), /lost Redis at redis:\/\/127\.0\.0\.1:\d+\/2/);

      await server.restart(); // empty: no persistence here
      let status = 503;
      for (let attempt = 0; attempt < 100 && status === 503; attempt++) {
        status = (await browser.get("/api/me")).status;
        if (status === 503) await sleep(100);
      }
      assert.equal(status, 401, "answers again (the restarted Redis is empty)");
      await browser.post("/login", "username=heidi");
      assert.equal((await browser.get("/api/me")).status, 200, "and takes logins again");
      assert.match(demo.output(), /Redis at redis:\/\/127\.0\.0\.1:\d+\/2 is back/);

      await server.kill("SIGKILL");
      const stopping = performance.now();
      const code = await demo.stop();
      assert.equal(code, 0, demo.output());
      assert.ok(performance.now() - stopping < 3_000, "a stop does not wait for Redis");
      assert.doesNotMatch(demo.output(), /\n\s+at /, `no stack trace:\n${demo.output()}`);
    } finally {
      await demo?.stop();
      await server.stop();
    }
  });
});
