import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FlaskOracle } from "../codecs/flask-oracle.ts";
import { CookieClient } from "../support/client.ts";
import { runDemoExpectingExit, startDemo } from "../support/demo-process.ts";

const SECRET_KEY = "demo-cookie-sessions-secret-0123456789";

function workdir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-cookie-demo-"));
}

describe("demo with SESSION_STORE=cookie:flask and cookie:sealed", () => {
  let flask: FlaskOracle;
  before(() => {
    flask = new FlaskOracle();
  });
  after(() => flask.close());

  test("cookie:flask: the login travels in Flask's own cookie, which Flask reads with SECRET_KEY", async () => {
    const cwd = workdir();
    const demo = await startDemo(cwd, { SECRET_KEY, SESSION_STORE: "cookie:flask" });
    try {
      assert.match(demo.output(), /sessions: in the cookie, Flask's format/);
      const browser = new CookieClient(demo.url);
      assert.equal((await browser.post("/login", "username=ada")).status, 303);
      // The redirect's page shows the welcome flash, and takes it out of the session.
      assert.match((await browser.get("/")).text, /Welcome, ada\./);
      const cookie = browser.jar.get("session") ?? "";
      assert.match(cookie, /^\.?[\w-]+\.[\w-]+\.[\w-]+$/, "payload.timestamp.signature");
      const read = await flask.loads({
        cookie,
        secret: SECRET_KEY,
        expect: "{'_permanent': True, 'username': 'ada'}",
      });
      assert.ok(read.ok && read.same, `Flask read ${JSON.stringify(read)}`);
      assert.deepEqual((await browser.get("/api/me")).json(), { username: "ada" });
      // A 4,000-character username would not fit in Flask's cookie: the limit refuses it
      // first, with a page that says why, and the login in the cookie stays.
      const long = await browser.post("/login", `username=${"a".repeat(4_000)}`);
      assert.equal(long.status, 400);
      assert.match(long.text, /at most 64 characters/);
      assert.deepEqual((await browser.get("/api/me")).json(), { username: "ada" });
      await browser.post("/logout");
      assert.equal(browser.jar.has("session"), false, "logout clears the cookie");
      assert.equal((await browser.get("/api/me")).status, 401);
      const everywhere = await new CookieClient(demo.url).post("/logout-everywhere");
      assert.equal(everywhere.status, 404, "no store: nothing can recall issued cookies");
    } finally {
      await demo.stop();
    }
  });

  test("cookie:flask: the tamper button's cookie is refused by Flask too, as the page says", async () => {
    const demo = await startDemo(workdir(), { SECRET_KEY, SESSION_STORE: "cookie:flask" });
    try {
      const browser = new CookieClient(demo.url);
      await browser.post("/login", "username=ada");
      const original = browser.jar.get("session") ?? "";
      assert.ok((await flask.loads({ cookie: original, secret: SECRET_KEY })).ok, "Flask reads it");
      const redirect = await browser.post("/inspect/tamper");
      const tampered = browser.jar.get("session") ?? "";
      assert.notEqual(tampered, original);
      const read = await flask.loads({ cookie: tampered, secret: SECRET_KEY });
      assert.equal(read.ok, false, `Flask refuses it: ${JSON.stringify(read)}`);
      const page = await browser.get(redirect.headers.get("location") ?? "");
      assert.match(page.text, /Flask does the same/);
      assert.equal((await browser.get("/api/me")).status, 401);
    } finally {
      await demo.stop();
    }
  });

  test("cookie:flask: whatever a Flask app puts in the session, the pages answer, showing Flask's types as values", async () => {
    const demo = await startDemo(workdir(), { SECRET_KEY, SESSION_STORE: "cookie:flask" });
    try {
      const now = Math.floor(Date.now() / 1000);
      for (const username of ["None", "42", "[1, 2]", "True"]) {
        const cookie = await flask.dumps(`{'username': ${username}}`, SECRET_KEY, now);
        const client = new CookieClient(demo.url);
        client.jar.set("session", cookie);
        for (const path of ["/", "/logout", "/sessions", "/inspect"]) {
          const page = await client.get(path);
          assert.equal(page.status, 200, `${path} with username ${username}`);
        }
        assert.match(
          (await client.get("/")).text,
          /You are not logged in\./,
          `username ${username} is nobody`,
        );
      }
      const typed = await flask.dumps(
        "{'username': 'ada', 'raw': b'hi', 'id': UUID('12345678123456781234567812345678'), 'html': Markup('<b>x</b>'), 'pair': (1, 2)}",
        SECRET_KEY,
        now,
      );
      const client = new CookieClient(demo.url);
      client.jar.set("session", typed);
      const page = await client.get("/inspect");
      assert.equal(page.status, 200);
      for (const shown of [
        /&quot;raw&quot;: &quot;b&#39;hi&#39;&quot;/,
        /&quot;id&quot;: &quot;12345678123456781234567812345678&quot;/,
        /&quot;html&quot;: &quot;&lt;b&gt;x&lt;\/b&gt;&quot;/,
        /&quot;pair&quot;: \[\s*1,\s*2\s*\]/,
      ]) {
        assert.match(page.text, shown);
      }
      assert.doesNotMatch(
        page.text,
        /&quot;type&quot;: &quot;Buffer&quot;|&quot;items&quot;|&quot;hex&quot;/,
      );
    } finally {
      await demo.stop();
    }
  });

  test("cookie:flask: a cookie Flask issued with SECRET_KEY logs the user in", async () => {
    const demo = await startDemo(workdir(), { SECRET_KEY, SESSION_STORE: "cookie:flask" });
    try {
      const now = Math.floor(Date.now() / 1000);
      const cookie = await flask.dumps(
        "{'username': 'grace', '_permanent': True}",
        SECRET_KEY,
        now,
      );
      const me = await new CookieClient(demo.url).get("/api/me", { cookie: `session=${cookie}` });
      assert.deepEqual(me.json(), { username: "grace" });
    } finally {
      await demo.stop();
    }
  });

  test("cookie:sealed: the login is encrypted in the cookie and survives a restart", async () => {
    const cwd = workdir();
    const first = await startDemo(cwd, { SECRET_KEY, SESSION_STORE: "cookie:sealed" });
    const browser = new CookieClient(first.url);
    try {
      assert.match(first.output(), /sessions: in the cookie, sealed/);
      await browser.post("/login", "username=ada");
      const cookie = browser.jar.get("session") ?? "";
      assert.match(cookie, /^v1\.[\w-]{8}\.[\w-]+$/);
      assert.ok(!Buffer.from(cookie.split(".")[2] ?? "", "base64url").includes("ada"));
    } finally {
      await first.stop();
    }
    const second = await startDemo(cwd, { SECRET_KEY, SESSION_STORE: "cookie:sealed" });
    try {
      const again = new CookieClient(second.url);
      const me = await again.get("/api/me", { cookie: `session=${browser.jar.get("session")}` });
      assert.deepEqual(me.json(), { username: "ada" });
    } finally {
      await second.stop();
    }
  });

  test("an unknown cookie format stops the start with a clear message", async () => {
    const { code, output } = await runDemoExpectingExit(workdir(), {
      SECRET_KEY,
      SESSION_STORE: "cookie:pickle",
    });
    assert.equal(code, 1);
    assert.match(output, /cookie:flask .* or cookie:sealed/);
  });
});
