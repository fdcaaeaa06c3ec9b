import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../demo/config.ts";
import { CookieClient } from "../support/client.ts";
import { type DemoProcess, runDemoExpectingExit, startDemo } from "../support/demo-process.ts";

function workdir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-demo-"));
}

describe("demo site over a real socket (npm start)", () => {
  const cwd = workdir();
  let demo: DemoProcess;
  before(async () => {
    demo = await startDemo(cwd);
  });
  after(() => demo.stop());

  test("without SECRET_KEY a secret is generated once, kept with mode 600, and the start says so", () => {
    assert.match(demo.output(), /notice: No SECRET_KEY was set/);
    const file = join(cwd, "data", "secret-key");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(readFileSync(file, "utf8").trim().length >= 32);
    assert.match(demo.output(), /sessions: sqlite at data\/sessions\.db/);
  });

  test("the walkthrough's login flow", async () => {
    const browser = new CookieClient(demo.url);
    const anonymous = await browser.get("/");
    assert.match(anonymous.text, /href="\/login"/);
    assert.deepEqual(anonymous.setCookies, [], "looking around creates no session");
    const form = await browser.get("/login");
    assert.match(form.text, /name="username"/);
    assert.match(form.text, /name="password"/);

    const login = await browser.post("/login", "username=alice&password=secret");
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/");
    assert.match(
      login.setCookies[0] ?? "",
      /^session=[\w-]{43}\.[\w-]{43}; Max-Age=2678400; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/,
    );

    assert.match((await browser.get("/")).text, /Hello, alice/);
    const me = await browser.get("/api/me");
    assert.equal(me.status, 200);
    assert.deepEqual(me.json(), { username: "alice" });
  });

  test("/api/me without a login is 401 with a JSON error", async () => {
    const me = await new CookieClient(demo.url).get("/api/me");
    assert.equal(me.status, 401);
    assert.equal(typeof me.json().error, "string");
  });

  test("an empty username is refused; a hostile one is shown escaped", async () => {
    const browser = new CookieClient(demo.url);
    assert.equal((await browser.post("/login", "username=%20%20")).status, 400);
    await browser.post("/login", `username=${encodeURIComponent("<script>x</script>")}`);
    const home = await browser.get("/");
    assert.match(home.text, /Hello, &lt;script&gt;x&lt;\/script&gt;/);
  });

  test("an oversized form is refused with 413, and the server goes on", async () => {
    const browser = new CookieClient(demo.url);
    const huge = await browser.post("/login", `username=${"x".repeat(20_000)}`);
    assert.equal(huge.status, 413);
    assert.match(huge.text, /<h1>413 Too large<\/h1>/);
    assert.equal((await browser.get("/login")).status, 200);
  });

  test("the welcome is a flash: shown once, on the page after the login", async () => {
    const browser = new CookieClient(demo.url);
    await browser.post("/login", "username=wendy");
    assert.match((await browser.get("/")).text, /class="flash"[^>]*>Welcome, wendy\./);
    assert.doesNotMatch((await browser.get("/")).text, /Welcome, wendy/);
  });

  test("a username over 64 characters is refused with a message saying so; 64 is fine", async () => {
    const browser = new CookieClient(demo.url);
    const long = await browser.post("/login", `username=${"é".repeat(65)}`);
    assert.equal(long.status, 400);
    assert.match(long.text, /A username has at most 64 characters; this one has 65\./);
    assert.equal(browser.jar.has("session"), false, "nothing was stored");
    const login = await browser.post("/login", `username=${"é".repeat(64)}`);
    assert.equal(login.status, 303);
    assert.deepEqual((await browser.get("/api/me")).json(), { username: "é".repeat(64) });
  });

  test("a cookie value too big for a browser is a 400 page that explains, and the old cookie stays", async () => {
    const browser = new CookieClient(demo.url);
    await browser.post("/cookies/set", "name=user&value=kept&path=/&sameSite=lax");
    assert.equal(browser.jar.get("user"), "kept");
    const refused = await browser.post(
      "/cookies/set",
      `name=user&value=${"x".repeat(10_000)}&path=/&sameSite=lax`,
    );
    assert.equal(refused.status, 400);
    assert.match(refused.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(refused.text, /The cookie was not set: .*4096-byte limit/s);
    assert.deepEqual(refused.setCookies, []);
    assert.equal(browser.jar.get("user"), "kept");
  });

  test("HEAD, /favicon.ico and GET /logout are served; unknown pages get HTML, /api/ JSON", async () => {
    const head = await fetch(`${demo.url}/`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    assert.equal((await fetch(`${demo.url}/login`, { method: "HEAD" })).status, 200);
    const icon = await fetch(`${demo.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("content-type"), "image/svg+xml");
    assert.match(await icon.text(), /^<svg /);

    const browser = new CookieClient(demo.url);
    assert.match((await browser.get("/logout")).text, /You are not logged in/);
    await browser.post("/login", "username=lena");
    const logout = await browser.get("/logout");
    assert.equal(logout.status, 200);
    assert.match(logout.text, /<form method="post" action="\/logout">/);
    assert.equal((await browser.get("/api/me")).status, 200, "GET /logout logs nobody out");

    const missing = await browser.get("/no-such-page");
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(missing.text, /<h1>404 Page not found<\/h1>/);
    const missingApi = await browser.get("/api/no-such-thing");
    assert.equal(missingApi.status, 404);
    assert.equal(typeof missingApi.json().error, "string");
  });

  test("every page is readable on a phone: a viewport, and no external asset", async () => {
    for (const path of ["/", "/login", "/cookies", "/logout", "/nope"]) {
      const page = await new CookieClient(demo.url).get(path);
      assert.match(
        page.text,
        /<meta name="viewport" content="width=device-width, initial-scale=1">/,
      );
      assert.doesNotMatch(page.text, /(src|href)="https?:/, `${path} loads nothing external`);
    }
  });

  test("login regenerates the session id", async () => {
    const browser = new CookieClient(demo.url);
    await browser.post("/login", "username=first");
    const before = browser.jar.get("session");
    await browser.post("/login", "username=second");
    assert.notEqual(browser.jar.get("session"), before);
    const replay = await new CookieClient(demo.url).get("/api/me", { cookie: `session=${before}` });
    assert.equal(replay.status, 401, "the pre-login id is dead");
  });

  test("logout destroys the session, and a cookie replayed after logout is dead", async () => {
    const browser = new CookieClient(demo.url);
    await browser.post("/login", "username=bob");
    const stolen = browser.jar.get("session");
    const logout = await browser.post("/logout");
    assert.equal(logout.status, 303);
    assert.equal(logout.headers.get("location"), "/login?logged-out");
    assert.match(
      logout.setCookies[0] ?? "",
      /^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/,
    );
    const after = await browser.get("/login?logged-out");
    assert.match(after.text, /class="flash"[^>]*>You are logged out\./);
    assert.deepEqual(after.setCookies, [], "the message needs no session");
    assert.equal((await browser.get("/api/me")).status, 401);
    const replay = await new CookieClient(demo.url).get("/api/me", { cookie: `session=${stolen}` });
    assert.equal(replay.status, 401);
  });

  test("login → 303 → the next request sees the login, 1000 times in a row", async () => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const browser = new CookieClient(demo.url);
      const login = await browser.post("/login", `username=user${attempt}`);
      assert.equal(login.status, 303);
      const me = await browser.get("/api/me");
      assert.equal(me.status, 200, `attempt ${attempt}`);
      assert.equal(me.json().username, `user${attempt}`);
    }
  });
});

describe("demo restarts and settings", () => {
  test("restarting the server keeps users logged in (SQLite) and keeps the generated secret", async () => {
    const cwd = workdir();
    const first = await startDemo(cwd);
    const browser = new CookieClient(first.url);
    await browser.post("/login", "username=carol");
    await first.stop();
    const second = await startDemo(cwd);
    try {
      assert.doesNotMatch(second.output(), /notice: No SECRET_KEY/, "the kept secret is reused");
      const me = await new CookieClient(second.url).get("/api/me", {
        cookie: `session=${browser.jar.get("session")}`,
      });
      assert.equal(me.status, 200);
      assert.deepEqual(me.json(), { username: "carol" });
    } finally {
      await second.stop();
    }
  });

  test("SECRET_KEY and SESSION_STORE=memory are honoured", async () => {
    const cwd = workdir();
    const demo = await startDemo(cwd, {
      SECRET_KEY: "demo-test-secret-key-0123456789",
      SESSION_STORE: "memory",
    });
    try {
      assert.doesNotMatch(demo.output(), /notice/);
      assert.match(demo.output(), /sessions: memory/);
      const browser = new CookieClient(demo.url);
      await browser.post("/login", "username=dave");
      assert.equal((await browser.get("/api/me")).status, 200);
    } finally {
      await demo.stop();
    }
  });

  test("a secret that is too short stops the start with a clear message", async () => {
    const { code, output } = await runDemoExpectingExit(workdir(), { SECRET_KEY: "too-short" });
    assert.equal(code, 1);
    assert.match(output, /9 bytes; at least 24/);
    assert.match(output, /tessera secret/);
  });

  test("an unknown SESSION_STORE stops the start with a clear message", async () => {
    const { code, output } = await runDemoExpectingExit(workdir(), { SESSION_STORE: "mongo://x" });
    assert.equal(code, 1);
    assert.match(output, /SESSION_STORE "mongo:\/\/x" is not known/);
  });
});

describe("demo settings (read in process)", () => {
  const SECRET_KEY = "demo-settings-secret-key-0123456789";

  /** Runs loadConfig in a fresh working directory and closes the store it opened. */
  async function configIn(env: Record<string, string>) {
    const previous = process.cwd();
    const cwd = workdir();
    process.chdir(cwd);
    try {
      const config = loadConfig({ SECRET_KEY, ...env });
      await config.store?.close();
      return { config, cwd };
    } finally {
      process.chdir(previous);
    }
  }

  test("defaults: port 3000 and SQLite sessions in data/sessions.db", async () => {
    const { config, cwd } = await configIn({});
    assert.equal(config.port, 3000);
    assert.equal(config.secret, SECRET_KEY);
    assert.equal(config.store?.kind, "sqlite");
    assert.ok(existsSync(join(cwd, "data", "sessions.db")));
  });

  test("PORT and SESSION_STORE=sqlite:PATH are honoured", async () => {
    const { config, cwd } = await configIn({ PORT: "8123", SESSION_STORE: "sqlite:kept/s.db" });
    assert.equal(config.port, 8123);
    assert.equal(config.store?.kind, "sqlite");
    assert.ok(existsSync(join(cwd, "kept", "s.db")), "the file is where SESSION_STORE says");
    assert.equal(existsSync(join(cwd, "data", "sessions.db")), false);
  });

  test("SESSION_STORE=memory keeps sessions in memory, with no database file", async () => {
    const { config, cwd } = await configIn({ SESSION_STORE: "memory" });
    assert.equal(config.store?.kind, "memory");
    assert.equal(existsSync(join(cwd, "data")), false);
  });
});
