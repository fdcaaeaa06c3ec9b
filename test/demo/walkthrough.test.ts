/**
 * The demo's walkthrough pages in every SESSION_STORE mode, over a real socket to `npm start`'s
 * server: the inspector (the cookie taken apart, the record as the store holds it, the
 * Set-Cookie sent), the tamper button, "Your sessions" with revoking, the language choice and
 * switch, the permanent switch, and SESSION_LIFETIME.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CookieClient } from "../support/client.ts";
import { type DemoProcess, startDemo } from "../support/demo-process.ts";
import { databaseUrl, sql } from "../support/postgres.ts";
import { ensureRedis } from "../support/redis-server.ts";

const SECRET_KEY = randomBytes(32).toString("base64url");
const AGENT = "WalkthroughTest/1.0";
const database = `tessera_walk_${randomBytes(5).toString("hex")}`;
const redisPrefix = `walk${randomBytes(4).toString("hex")}:`;

interface Mode {
  readonly setting: () => Promise<string>;
  readonly store: boolean;
  /** What /inspect shows of the record (store modes) or the decoded cookie (cookie modes). */
  readonly record: RegExp;
  /** The session cookie's parts, as /inspect names them. */
  readonly parts: RegExp;
}

const MODES: Record<string, Mode> = {
  sqlite: {
    setting: async () => "sqlite:data/sessions.db",
    store: true,
    record:
      /sqlite3 data\/sessions\.db &quot;SELECT \* FROM tessera_sessions WHERE id = &#39;[\w-]{43}&#39;&quot;[\s\S]*<th>data<\/th><td><code>\{&quot;username&quot;:&quot;alice&quot;/,
    parts: /session id \(256 random bits\)[\s\S]*signature \(HMAC-SHA256/,
  },
  memory: {
    setting: async () => "memory",
    store: true,
    record: /store\.get\(&quot;[\w-]{43}&quot;\)[\s\S]*&quot;username&quot;:&quot;alice&quot;/,
    parts: /session id \(256 random bits\)/,
  },
  redis: {
    setting: ensureRedis,
    store: true,
    record: new RegExp(
      `&gt; HGETALL ${redisPrefix}[\\w-]{43}\\n1\\) &quot;@created&quot;[\\s\\S]*&quot;username&quot;\\n\\d+\\) &quot;\\\\&quot;alice\\\\&quot;&quot;[\\s\\S]*PTTL ${redisPrefix}[\\w-]{43}\\n\\(integer\\) \\d+\\n[^\\n]*ZRANGE ${redisPrefix}user:alice 0 -1\\n1\\) &quot;[\\w-]{43}&quot;[\\s\\S]*id="ttl" data-expires="\\d+"`,
    ),
    parts: /session id \(256 random bits\)/,
  },
  postgres: {
    setting: async () => {
      await sql(`CREATE DATABASE ${database}`);
      const url = new URL(databaseUrl());
      url.pathname = `/${database}`;
      return url.href;
    },
    store: true,
    record:
      /psql -c &quot;SELECT \* FROM tessera_sessions WHERE id = &#39;[\w-]{43}&#39;&quot;[\s\S]*<th>user_id<\/th><td><code>alice<\/code>/,
    parts: /session id \(256 random bits\)/,
  },
  "cookie:flask": {
    setting: async () => "cookie:flask",
    store: false,
    record: /&quot;username&quot;: &quot;alice&quot;[\s\S]*nothing is stored on the server/,
    parts:
      /payload: the session data[\s\S]*timestamp: when it was signed[\s\S]*signature \(HMAC-SHA1 with the secret, as Flask\)/,
  },
  "cookie:sealed": {
    setting: async () => "cookie:sealed",
    store: false,
    record: /&quot;username&quot;: &quot;alice&quot;[\s\S]*nothing is stored on the server/,
    parts: /header: format version and key id[\s\S]*key id<\/th><td><code>[\w-]{8}<\/code>/,
  },
};

after(async () => {
  await sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

for (const [name, mode] of Object.entries(MODES)) {
  describe(`the walkthrough with SESSION_STORE=${name}`, () => {
    let demo: DemoProcess;
    before(async () => {
      const cwd = mkdtempSync(join(tmpdir(), "tessera-walk-"));
      const env: Record<string, string> = { SECRET_KEY, SESSION_STORE: await mode.setting() };
      if (name === "redis") env.SESSION_PREFIX = redisPrefix;
      demo = await startDemo(cwd, env);
    });
    after(() => demo.stop());

    function browser(): CookieClient {
      return new CookieClient(demo.url);
    }
    async function loggedIn(user = "alice"): Promise<CookieClient> {
      const client = browser();
      await client.request("POST", "/login", {
        body: `username=${user}`,
        headers: { "user-agent": AGENT },
      });
      assert.equal((await client.get("/api/me")).status, 200);
      return client;
    }

    test("/inspect without a cookie explains that nothing is loaded", async () => {
      const page = await browser().get("/inspect");
      assert.equal(page.status, 200);
      assert.match(page.text, /\(no Cookie header\)/);
      assert.match(page.text, /No <code>session<\/code> cookie came with this request\./);
      assert.match(page.text, /This response sent no Set-Cookie\./);
      assert.deepEqual(page.setCookies, []);
    });

    test("/inspect shows the Cookie header, the cookie's parts, that it verifies, and the record", async () => {
      const client = await loggedIn();
      const cookie = client.jar.get("session") ?? "";
      const page = await client.get("/inspect");
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(`Cookie: session=${cookie}`), "the raw Cookie header");
      assert.match(page.text, mode.parts);
      assert.match(
        page.text,
        /✓ Verifies with the current key \(SECRET_KEY, fingerprint <code>[0-9a-f]{8}<\/code>\)/,
      );
      assert.match(page.text, mode.record);
      assert.match(page.text, /This response sent no Set-Cookie\./);
      assert.deepEqual(page.setCookies, []);
    });

    test("the tamper button changes one character; the server then ignores the cookie", async () => {
      const client = await loggedIn();
      const before = client.jar.get("session") ?? "";
      const tampered = await client.post("/inspect/tamper");
      assert.equal(tampered.status, 303);
      assert.match(
        tampered.headers.get("location") ?? "",
        /^\/inspect\?tampered=\d+%3A[\w-]%3A[\w-]#tamper$/,
      );
      const after = client.jar.get("session") ?? "";
      assert.equal(after.length, before.length);
      assert.equal(
        [...after].filter((char, index) => char !== before[index]).length,
        1,
        "one character",
      );

      const page = await client.get(tampered.headers.get("location") ?? "");
      assert.match(page.text, /Character \d+ of the cookie was changed from/);
      assert.match(page.text, /this request has a fresh, empty session, and you are logged out/);
      assert.match(page.text, /✗ Does not verify with the current key/);
      assert.match(page.text, /A new, empty session/);
      if (name === "cookie:flask")
        assert.match(page.text, /Flask does the same: its SecureCookieSessionInterface/);
      if (name === "cookie:flask") {
        // As Flask: an empty session nobody changed writes nothing, so the bad cookie stays.
        assert.deepEqual(page.setCookies, []);
        assert.match(page.text, /This response sent no Set-Cookie\./);
      } else {
        // The bad cookie is cleared, and the page shows the line that did it.
        assert.match(page.setCookies[0] ?? "", /^session=; Max-Age=0; Path=\//);
        assert.ok(page.text.includes(`Set-Cookie: ${page.setCookies[0]}`));
        assert.match(page.text, /The session cookie is deleted \(empty, Max-Age=0\)/);
      }
      assert.equal((await client.get("/api/me")).status, 401);
    });

    test("/inspect with two session cookies takes apart the one the engine used, and says so", async () => {
      const client = await loggedIn();
      const valid = client.jar.get("session") ?? "";
      const page = await client.get("/inspect", {
        cookie: `session=garbage.value; session=${valid}`,
      });
      assert.match(page.text, /The request carried 2 cookies named session/);
      assert.match(page.text, /✓ Verifies with the current key/);
      assert.match(page.text, mode.record);
      assert.match(page.text, /&quot;username&quot;: &quot;alice&quot;/);
    });

    test("/inspect names a cookie in another format than this app's as one it could not have issued", async () => {
      const foreign =
        name === "cookie:sealed"
          ? "eyJ4Ijp7fX0.Zz1iXw.abc"
          : "v1.abcdefgh.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
      const page = await browser().get("/inspect", { cookie: `session=${foreign}` });
      assert.equal(page.status, 200);
      assert.match(page.text, /This is not a cookie this app could have issued/);
      assert.match(page.text, /<th>value<\/th>/);
      assert.doesNotMatch(page.text, /signed at/);
    });

    test("tampering keeps a browser-session cookie a browser-session cookie", async () => {
      const client = await loggedIn();
      await client.post("/session/permanent", "permanent=0");
      const tampered = await client.post("/inspect/tamper", "permanent=0");
      assert.equal(tampered.status, 303);
      assert.doesNotMatch(tampered.setCookies[0] ?? "", /Max-Age/);
    });

    test("Your sessions: every session of the user, with its browser, and revoking one", async () => {
      const laptop = await loggedIn("sam");
      const phone = await loggedIn("sam");
      const page = await laptop.get("/sessions");
      if (!mode.store) {
        assert.match(
          page.text,
          /the server keeps no record of them, so it has no list of your sessions/,
        );
        assert.match(
          page.text,
          /A copy taken before .* still verifies: replayed, it logs in as you/,
        );
        return;
      }
      const revokes = [...page.text.matchAll(/name="id" value="([\w-]{43})"/g)].map(
        (match) => match[1],
      );
      assert.equal(revokes.length, 2, "sam's two sessions");
      assert.equal(page.text.match(new RegExp(AGENT.replace(/[./]/g, "\\$&"), "g"))?.length, 2);
      assert.match(page.text, /<strong>this browser<\/strong>/);
      const phoneId = (phone.jar.get("session") ?? "").split(".")[0];
      assert.ok(revokes.includes(phoneId), "the phone's session is listed");
      const revoked = await laptop.post("/sessions/revoke", `id=${phoneId}`);
      assert.equal(revoked.status, 303);
      assert.equal((await phone.get("/api/me")).status, 401, "the phone is logged out");
      assert.equal((await laptop.get("/api/me")).status, 200, "the laptop is not");
      assert.match((await laptop.get("/sessions")).text, /That session is revoked/);

      // Someone else's id changes nothing.
      const other = await loggedIn("mallory");
      const samsId = (laptop.jar.get("session") ?? "").split(".")[0];
      await other.post("/sessions/revoke", `id=${samsId}`);
      assert.equal((await laptop.get("/api/me")).status, 200, "only one's own sessions");
    });

    test("Accept-Language picks Chinese; the switch is remembered in a cookie and wins", async () => {
      const client = browser();
      const chinese = await client.get("/login", { "accept-language": "zh-CN,zh;q=0.9,en;q=0.8" });
      assert.match(chinese.text, /<html lang="zh-CN">/);
      assert.match(chinese.text, /这是演示：任何密码都能登录/);
      assert.match(chinese.text, /href="\/lang\?to=en&amp;back=%2Flogin"/);
      const english = await client.get("/login", { "accept-language": "en-GB,en;q=0.9" });
      assert.match(english.text, /<html lang="en">/);
      assert.match(english.text, /any password is accepted/);

      const switched = await client.get("/lang?to=zh&back=%2Finspect");
      assert.equal(switched.status, 303);
      assert.equal(switched.headers.get("location"), "/inspect");
      assert.match(switched.setCookies[0] ?? "", /^lang=zh; Max-Age=31536000; Path=\//);
      const cookie = `lang=${client.jar.get("lang")}`;
      const remembered = await client.get("/inspect", { "accept-language": "en", cookie });
      assert.match(remembered.text, /<html lang="zh-CN">/);
      assert.match(remembered.text, /检查这个请求/);
      // The switch only goes back to a page of this site.
      for (const back of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
        const away = await client.get(`/lang?to=en&back=${encodeURIComponent(back)}`);
        assert.equal(away.headers.get("location"), "/");
      }
    });

    test("the permanent switch: a browser-session cookie has no Max-Age; permanent again has one", async () => {
      const client = await loggedIn();
      const home = await client.get("/");
      assert.match(home.text, /Its cookie is <strong>permanent<\/strong>/);
      assert.match(home.text, /at most once every 1 day \(touchAfter/);
      assert.match(home.text, /class="countdown" data-expires="\d+"/);
      const off = await client.post("/session/permanent", "permanent=0");
      assert.equal(off.status, 303);
      assert.match(off.setCookies[0] ?? "", /^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
      assert.match(
        (await client.get("/")).text,
        /Its cookie is a <strong>browser-session<\/strong> cookie/,
      );
      const on = await client.post("/session/permanent", "permanent=1");
      assert.match(on.setCookies[0] ?? "", /^session=[^;]+; Max-Age=2678400; Path=\//);
      assert.equal((await client.get("/api/me")).status, 200, "still logged in throughout");
    });
  });
}

describe("SESSION_LIFETIME", () => {
  for (const store of ["sqlite:data/sessions.db", "cookie:flask"]) {
    test(`SESSION_LIFETIME=2s with ${store}: the countdown starts at 2 s, and the session is gone after it`, async () => {
      const demo = await startDemo(mkdtempSync(join(tmpdir(), "tessera-walk-")), {
        SECRET_KEY,
        SESSION_STORE: store,
        SESSION_LIFETIME: "2s",
      });
      try {
        const client = new CookieClient(demo.url);
        const login = await client.post("/login", "username=brief");
        assert.match(login.setCookies[0] ?? "", /Max-Age=2;/);
        const home = await client.get("/");
        // That page read the welcome flash, so it may have sent a newer cookie: whole seconds,
        // at most 3 s from now, whatever the page says (on a loaded machine it came later).
        const lastCookieBy = Date.now() + 3_000;
        assert.match(home.text, /carries Max-Age \(2 s, SESSION_LIFETIME\)/);
        const expires = Number(/data-expires="(\d+)"/.exec(home.text)?.[1]);
        assert.ok(
          // Flask's cookie counts whole seconds: signed at second T, it is accepted through T + 2.
          expires > Date.now() - 60_000 && expires <= Date.now() + 3_000,
          "within the lifetime",
        );
        // Past the lifetime, whatever the load: the server refuses the session, even though
        // this client still sends its cookie (a browser would have dropped it).
        await sleep(Math.max(0, expires - Date.now(), lastCookieBy - Date.now()) + 500);
        assert.equal((await client.get("/api/me")).status, 401);
        assert.match((await client.get("/")).text, /You are not logged in\./);
      } finally {
        await demo.stop();
      }
    });
  }

  test("a SESSION_LIFETIME that is not a duration stops the start with a message", async () => {
    const { runDemoExpectingExit } = await import("../support/demo-process.ts");
    const refused = await runDemoExpectingExit(mkdtempSync(join(tmpdir(), "tessera-walk-")), {
      SECRET_KEY,
      SESSION_LIFETIME: "soon",
    });
    assert.equal(refused.code, 1);
    assert.match(refused.output, /tessera demo cannot start: .*lifetime/);
  });
});
