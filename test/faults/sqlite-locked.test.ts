/**
 * SQLite locked by another process. A child node process opens the app's session file with
 * node:sqlite and holds its write lock far longer than the store's busyTimeout (100 ms, the
 * default): first `BEGIN EXCLUSIVE`, then a long uncommitted write transaction. What must hold,
 * over real HTTP through tessera/node:
 *   - every write (an increment, a login, a logout) is answered 503 with Retry-After, never a
 *     500, never a hang, and the process does not crash;
 *   - reads are still served (the store keeps the file in WAL mode, where readers do not wait
 *     for a writer), showing what was acknowledged;
 *   - once the lock is released, the same app serves writes again, and every write that got a
 *     2xx is there.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createSessions } from "../../src/engine/manager.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { type Shape, serveFaultApp } from "./support/app.ts";
import { holdSqliteLock, type LockMode, type SqliteLocker } from "./support/sqlite-locker.ts";
import { Ledger, Visitor, watchEscapes } from "./support/visitor.ts";

const dir = mkdtempSync(join(tmpdir(), "tessera-faults-lock-"));
const path = join(dir, "sessions.db");
const sessions = createSessions<Shape>({
  secret: randomBytes(32).toString("base64url"),
  store: sqliteStore({ path, sweepInterval: false, busyTimeout: "100ms" }),
});
const served = await serveFaultApp(sessions);
const escapes = watchEscapes();
const lockers: SqliteLocker[] = [];
after(async () => {
  for (const locker of lockers) locker.kill();
  await served.close();
  await sessions.close();
  escapes.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const mode of ["exclusive", "long-write"] as const satisfies readonly LockMode[]) {
  test(`another process holds the write lock (${mode}): writes answer 503, then the app serves again`, async (t) => {
    const ledger = new Ledger();
    const ada = new Visitor(`ada-${mode}`, served.url, ledger);
    const bob = new Visitor(`bob-${mode}`, served.url, ledger);
    assert.equal(await ada.login(), "ok");
    for (let i = 0; i < 3; i += 1) assert.equal(await ada.inc(), "ok");
    assert.equal(await bob.login(), "ok");

    const locker = await holdSqliteLock(path, mode);
    lockers.push(locker);
    try {
      assert.equal(await ada.inc(), "unavailable", "an increment while locked");
      assert.equal(await ada.read(), "ok", "a read while locked (WAL: readers never wait)");
      assert.equal(ada.floor, 3, "the read shows the acknowledged increments");
      const carol = new Visitor(`carol-${mode}`, served.url, ledger);
      assert.equal(await carol.login(), "unavailable", "a login while locked");
      assert.equal(await bob.logout(), "unavailable", "a logout while locked");
      // Many at once: each waits its busyTimeout in turn (node:sqlite blocks), none hangs.
      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? ada.inc() : ada.read())),
      );
      assert.deepEqual(
        burst.filter((outcome) => outcome !== "ok" && outcome !== "unavailable"),
        [],
        `the burst: ${burst.join(", ")}`,
      );
      assert.ok(burst.filter((o) => o === "unavailable").length >= 4, "every write in it a 503");
    } finally {
      await locker.release();
    }

    assert.equal(await ada.inc(), "ok", "an increment once released");
    assert.equal(await bob.inc(), "ok", "bob's 503 logout never ended his session");
    assert.equal(await bob.logout(), "ok");
    const dave = new Visitor(`dave-${mode}`, served.url, ledger);
    assert.equal(await dave.login(), "ok", "a login once released");
    for (const visitor of [ada, bob, dave]) await visitor.verify();

    t.diagnostic(ledger.summary());
    assert.deepEqual(ledger.wrong, []);
    assert.deepEqual(ledger.lost, []);
    assert.deepEqual(escapes.escaped, []);
  });
}
