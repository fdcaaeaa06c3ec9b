/**
 * `tessera sessions …` end to end: the real binary (bin/tessera.js, as npx runs it) against a
 * SQLite file and a Redis, each holding 100,000 sessions written by the stores themselves.
 * `list` must stream: it runs in a small heap (HEAP_MB); the Redis store's own paging is
 * tested in test/stores/redis.test.ts by the SCANs it sends before its first session.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createClient } from "redis";
import { encodeMsgpack } from "../../src/codecs/msgpack/index.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { setPatch } from "../support/patches.ts";
import { deleteKeysUnder, ensureRedis } from "../support/redis-server.ts";
import { type CliRun, runCli } from "../support/run-cli.ts";

const SESSIONS = 100_000;
const USERS = 100;
const HOUR = 3_600_000;
/**
 * The listing's heap: room for the command and its Redis client to start (about 16 MB) and a
 * few batches, not for 100,000 sessions, nor for output piling up ahead of a slow reader (a
 * listing that ignored stdout's backpressure ran out of a 16 MB heap after 11,500 lines).
 */
const HEAP_MB = 32;

type Run = CliRun;

/** Runs the binary; `heapMb` caps its JavaScript heap. */
function tessera(args: readonly string[], heapMb?: number): Promise<Run> {
  return runCli(
    args,
    heapMb === undefined ? {} : { nodeFlags: [`--max-old-space-size=${heapMb}`] },
  );
}

/**
 * Writing 100,000 sessions through a store takes seconds on an idle machine and can take
 * minutes on a CI machine whose cores are busy: the hooks that do it get a deadline that holds.
 */
const SEED_TIMEOUT_MS = 600_000;

function idOf(index: number): string {
  return `cli${String(index).padStart(6, "0")}`.padEnd(43, "_");
}

/** 100,000 sessions, user u0…u99 each, written in batches through the store itself. */
async function seed(store: SessionStore): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < SESSIONS; start += 1_000) {
    await Promise.all(
      Array.from({ length: 1_000 }, (_, offset) => {
        const index = start + offset;
        return store.apply(idOf(index), setPatch({ username: `u${index % USERS}`, n: index }), {
          createdAt: now,
          expiresAt: now + HOUR,
          mustExist: false,
        });
      }),
    );
  }
}

/** What every store must answer the same. */
function commonTests(storeUrl: () => string[]): void {
  test(`list streams all 100,000 sessions as JSON lines in a ${HEAP_MB} MB heap`, async () => {
    const run = await tessera(["sessions", "list", "--json", ...storeUrl()], HEAP_MB);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.length, SESSIONS);
    const ids = new Set(lines.map((line) => (JSON.parse(line) as { id: string }).id));
    assert.equal(ids.size, SESSIONS);
    assert.ok(ids.has(idOf(0)) && ids.has(idOf(SESSIONS - 1)));
    const first = JSON.parse(lines[0] as string) as Record<string, string>;
    assert.match(first.createdAt ?? "", /^\d{4}-\d\d-\d\dT/);
  });

  test("list on a terminal-style table, with --limit", async () => {
    const run = await tessera(["sessions", "list", "--limit", "3", ...storeUrl()]);
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = run.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^ID\s+CREATED\s+EXPIRES$/);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.match(row, /^cli\d{6}_+\s+\d{4}-.*Z\s+\d{4}-.*Z$/);
  });

  test("show decodes one session; a missing one exits 1", async () => {
    const shown = await tessera(["sessions", "show", idOf(42), "--json", ...storeUrl()]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout).data, { username: "u42", n: 42 });
    const table = await tessera(["sessions", "show", `${idOf(7)}.signature-part`, ...storeUrl()]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^id\s+cli000007_+$/m);
    assert.match(table.stdout, /"username": "u7"/);
    const missing = await tessera(["sessions", "show", "no-such-session", ...storeUrl()]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tessera: no live session no-such-session in /);
  });

  test("revoke ends one session; revoking it again exits 1", async () => {
    const id = idOf(99_999);
    const revoked = await tessera(["sessions", "revoke", id, ...storeUrl()]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `revoked ${id}\n`);
    assert.equal((await tessera(["sessions", "show", id, ...storeUrl()])).code, 1);
    assert.equal((await tessera(["sessions", "revoke", id, ...storeUrl()])).code, 1);
  });

  test("usage errors exit 2, each command has --help", async () => {
    const noStore = await tessera(["sessions", "list"]);
    assert.equal(noStore.code, 2);
    assert.match(noStore.stderr, /needs --store URL/);
    const extra = await tessera(["sessions", "show", ...storeUrl()]);
    assert.equal(extra.code, 2);
    const unknownOption = await tessera(["sessions", "list", "--bogus", ...storeUrl()]);
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /Unknown option '--bogus'/);
    for (const args of [
      ["--help"],
      ["sessions", "--help"],
      ["decode", "--help"],
      ["secret", "-h"],
    ]) {
      const help = await tessera(args);
      assert.equal(help.code, 0, args.join(" "));
      assert.match(help.stdout, /usage: tessera/);
      assert.match(
        help.stdout,
        /exit codes: 0 ok, 1 not found or not verified, 2 usage, 3 store unreachable/,
      );
    }
  });
}

describe("tessera sessions on SQLite (100,000 sessions)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-cli-"));
  const path = join(dir, "sessions.db");
  const storeUrl = () => ["--store", `sqlite:${path}`];
  before(
    async () => {
      const store = sqliteStore({ path, sweepInterval: false });
      await seed(store);
      // Two that have expired, for purge-expired.
      const past = Date.now() - HOUR;
      for (const id of ["expired-a", "expired-b"]) {
        await store.apply(id, setPatch({ username: "gone" }), {
          createdAt: past - HOUR,
          expiresAt: past,
          mustExist: false,
        });
      }
      await store.close();
    },
    { timeout: SEED_TIMEOUT_MS },
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  commonTests(storeUrl);

  test("stats counts the live sessions; purge-expired deletes the expired ones", async () => {
    const stats = await tessera(["sessions", "stats", "--json", ...storeUrl()]);
    assert.equal(stats.code, 0, stats.stderr);
    const live = (JSON.parse(stats.stdout) as { live: number }).live;
    assert.ok(live === SESSIONS || live === SESSIONS - 1, `live: ${live}`);
    const purged = await tessera(["sessions", "purge-expired", "--json", ...storeUrl()]);
    assert.equal(purged.code, 0, purged.stderr);
    assert.deepEqual(JSON.parse(purged.stdout), { deleted: 2 });
  });

  test("revoke-user is refused where there is no user index (exit 2, saying why)", async () => {
    const run = await tessera(["sessions", "revoke-user", "u1", ...storeUrl()]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /keeps no per-user index \(a sqlite store\); give --user-key KEY/);
  });

  test("with --user-key, revoke-user indexes the SQLite file by that key and ends the user's sessions", async () => {
    const args = [
      "sessions",
      "revoke-user",
      "u5",
      "--user-key",
      "username",
      "--json",
      ...storeUrl(),
    ];
    const revoked = await tessera(args);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(JSON.parse(revoked.stdout), { user: "u5", revoked: SESSIONS / USERS });
    assert.equal((await tessera(["sessions", "show", idOf(5), ...storeUrl()])).code, 1);
    assert.equal((await tessera(args)).code, 1, "none left");
  });

  test("a missing database file is unreachable (exit 3), and none is created", async () => {
    const missing = join(dir, "nope.db");
    const run = await tessera(["sessions", "list", "--store", `sqlite:${missing}`]);
    assert.equal(run.code, 3);
    assert.equal(
      run.stderr,
      `tessera: no SQLite database at ${missing}: check the path (the command creates none).\n`,
    );
  });
});

const url = await ensureRedis();

describe("tessera sessions on Redis (100,000 sessions)", () => {
  const prefix = `tessera-cli-test:${randomBytes(4).toString("hex")}:`;
  const client = createClient({ url });
  const storeUrl = () => ["--store", url, "--prefix", prefix];
  before(
    async () => {
      await client.connect();
      // Seeding sends a thousand writes at once: a deadline that holds on a loaded machine.
      const store = redisStore({ client, prefix, userKey: "username", timeout: "60s" });
      await seed(store);
      await store.close();
    },
    { timeout: SEED_TIMEOUT_MS },
  );
  after(async () => {
    const address = new URL(url);
    await deleteKeysUnder({ host: address.hostname, port: Number(address.port || 6379) }, prefix);
    await client.close();
  });

  commonTests(storeUrl);

  test("revoke-user ends every session of one user; a user with none exits 1", async () => {
    const revoked = await tessera(["sessions", "revoke-user", "u3", "--json", ...storeUrl()]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(JSON.parse(revoked.stdout), { user: "u3", revoked: SESSIONS / USERS });
    assert.equal((await tessera(["sessions", "show", idOf(3), ...storeUrl()])).code, 1);
    assert.equal((await tessera(["sessions", "revoke-user", "u3", ...storeUrl()])).code, 1);
  });

  test("show decodes Flask-Session's MessagePack records", async () => {
    const flaskPrefix = `${prefix}flask:`;
    const id = "flask-session-record-id";
    await client.set(
      `${flaskPrefix}${id}`,
      Buffer.from(encodeMsgpack({ _permanent: true, username: "ada", cart: [1, 2] })),
      { PX: HOUR },
    );
    const run = await tessera([
      "sessions",
      "show",
      id,
      "--json",
      "--store",
      url,
      "--prefix",
      flaskPrefix,
      "--layout",
      "flask-session",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).data, {
      _permanent: true,
      username: "ada",
      cart: [1, 2],
    });
  });

  test("an unreachable Redis exits 3 with one line; a bad URL exits 2", async () => {
    const down = await tessera(["sessions", "list", "--store", "redis://127.0.0.1:1"]);
    assert.equal(down.code, 3);
    assert.match(down.stderr, /^tessera: Redis at redis:\/\/127\.0\.0\.1:1 did not answer: .*\n$/);
    const bad = await tessera(["sessions", "list", "--store", "mongodb://127.0.0.1"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a store tessera knows/);
  });
});
