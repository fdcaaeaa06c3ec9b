/**
 * The demo on PostgreSQL (SESSION_STORE=postgres://...): two demo processes on one database and
 * one SECRET_KEY share logins, a logout on one is a logout on both, "log out everywhere" works,
 * and a session is one row of tessera_sessions. Real processes, real HTTP, real PostgreSQL: a
 * database of this run's own, dropped at the end.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { CookieClient } from "../support/client.ts";
import { type DemoProcess, runDemoExpectingExit, startDemos } from "../support/demo-process.ts";
import { databaseUrl, sql } from "../support/postgres.ts";
import { freePort } from "../support/redis-server.ts";

const SECRET_KEY = randomBytes(32).toString("base64url");
const database = `tessera_demo_${randomBytes(5).toString("hex")}`;
const serverUrl = new URL(databaseUrl());
const demoUrl = new URL(serverUrl);
demoUrl.pathname = `/${database}`;

function workdir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-postgres-demo-"));
}

function user(name: string): string {
  return `${name}-${randomBytes(3).toString("hex")}`;
}

async function onDemoDatabase(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: demoUrl.href });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe("the demo on PostgreSQL: two processes, one database", () => {
  const env = { SECRET_KEY, SESSION_STORE: demoUrl.href };
  let a: DemoProcess;
  let b: DemoProcess;
  before(async () => {
    await sql(`CREATE DATABASE ${database}`);
    // Both start at once: the table is made once, under the store's lock.
    [a, b] = (await startDemos([workdir(), workdir()], env)) as [DemoProcess, DemoProcess];
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });
  const on = (demo: DemoProcess, path: string): string => `${demo.url}${path}`;

  test("both start on PostgreSQL and say where, without credentials", () => {
    const where = `postgres://${serverUrl.hostname}:${serverUrl.port || "5432"}/${database}`;
    for (const demo of [a, b]) {
      assert.ok(
        demo.output().includes(`(sessions: postgres at ${where}, table tessera_sessions)`),
        demo.output(),
      );
    }
  });

  test("a login through A is one row of tessera_sessions and is seen by B", async () => {
    const name = user("alice");
    const browser = new CookieClient(a.url);
    assert.equal((await browser.post(on(a, "/login"), `username=${name}`)).status, 303);
    const cookie = browser.jar.get("session");
    assert.ok(cookie);
    const me = await browser.get(on(b, "/api/me"));
    assert.equal(me.status, 200);
    assert.deepEqual(me.json(), { username: name });
    const { rows } = await onDemoDatabase(
      "SELECT data, user_id, expires_at > now() AS live FROM tessera_sessions WHERE id = $1",
      [cookie.split(".")[0]],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].data.username, name);
    assert.equal(rows[0].user_id, name);
    assert.equal(rows[0].live, true);
  });

  test("a logout through B ends the session on A and deletes its row", async () => {
    const browser = new CookieClient(a.url);
    await browser.post(on(a, "/login"), `username=${user("bob")}`);
    const cookie = browser.jar.get("session") ?? "";
    assert.equal((await browser.post(on(b, "/logout"))).status, 303);
    const replay = await new CookieClient(a.url).get("/api/me", { cookie: `session=${cookie}` });
    assert.equal(replay.status, 401);
    const { rows } = await onDemoDatabase("SELECT 1 FROM tessera_sessions WHERE id = $1", [
      cookie.split(".")[0],
    ]);
    assert.equal(rows.length, 0);
  });

  test("log out everywhere through A ends the user's session in a second browser on B", async () => {
    const name = user("erin");
    const laptop = new CookieClient(a.url);
    const phone = new CookieClient(b.url);
    const someoneElse = new CookieClient(b.url);
    await laptop.post(on(a, "/login"), `username=${name}`);
    await phone.post(on(b, "/login"), `username=${name}`);
    await someoneElse.post(on(b, "/login"), `username=${user("frank")}`);
    assert.match((await laptop.get(on(a, "/"))).text, /Log out everywhere/);
    assert.equal((await laptop.post(on(a, "/logout-everywhere"))).status, 303);
    assert.match((await laptop.get(on(a, "/"))).text, /Logged out everywhere: 2 sessions ended\./);
    assert.equal((await phone.get(on(b, "/api/me"))).status, 401);
    assert.equal((await someoneElse.get(on(a, "/api/me"))).status, 200);
  });
});

describe("the demo's PostgreSQL setting", () => {
  test("a PostgreSQL that does not answer at startup is one clear line and exit 1, without credentials", async () => {
    const port = await freePort();
    const { code, output } = await runDemoExpectingExit(workdir(), {
      SECRET_KEY,
      SESSION_STORE: `postgres://someone:hunter2-password@127.0.0.1:${port}/app`,
    });
    assert.equal(code, 1, output);
    const lines = output.trim().split("\n");
    assert.equal(lines.length, 1, `one line, no stack trace:\n${output}`);
    assert.match(
      lines[0] ?? "",
      new RegExp(
        `^tessera demo cannot start: could not use PostgreSQL at postgres://127\\.0\\.0\\.1:${port}/app: .*ECONNREFUSED`,
      ),
    );
    assert.doesNotMatch(output, /hunter2|someone/);
  });

  test("a malformed PostgreSQL URL is a clear error that does not repeat it", async () => {
    const { code, output } = await runDemoExpectingExit(workdir(), {
      SECRET_KEY,
      SESSION_STORE: "postgres://user:pw@:notaport/x",
    });
    assert.equal(code, 1);
    assert.match(output, /^tessera demo cannot start: SESSION_STORE is not a valid PostgreSQL URL/);
    assert.doesNotMatch(output, /pw/);
  });
});
