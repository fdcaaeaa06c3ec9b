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
    assert.equal((await browser.get("/login")).status, 200);
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
    assert.equal(logout.headers.get("location"), "/login");
    assert.match(
      logout.setCookies[0] ?? "",
      /^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/,
    );
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

  test("the cookie page sets, reads and deletes a plain cookie", async () => {
    const browser = new CookieClient(demo.url);
    assert.match((await browser.get("/cookies")).text, /is not set/);
    const set = await browser.post("/cookies/set", "value=Ada%20Lovelace");
    assert.equal(set.status, 303);
    assert.match(
      set.setCookies[0] ?? "",
      /^user=Ada%20Lovelace; Max-Age=604800; Path=\/; Expires=/,
    );
    assert.match((await browser.get("/cookies")).text, /<strong>Ada Lovelace<\/strong>/);
    const deleted = await browser.post("/cookies/delete");
    assert.match(deleted.setCookies[0] ?? "", /^user=; Max-Age=0; Path=\//);
    assert.match((await browser.get("/cookies")).text, /is not set/);
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
