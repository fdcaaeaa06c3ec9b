/**
 * The disk under the SQLite file fills up. The session file lives on a 1 MB tmpfs beside a
 * filler file; visitors log in with large sessions until a write fails. What must hold, over
 * real HTTP through tessera/node:
 *   - a write that does not fit is answered 503 (SQLite reports SQLITE_FULL, "database or disk
 *     is full", which the store turns into a StoreUnavailableError), never a 500, never a
 *     crash;
 *   - sessions already stored can still be read while the disk is full;
 *   - once space is freed (the filler deleted), writes work again, and every write that got a
 *     2xx, before and after, is there.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { createSessions } from "../../src/engine/manager.ts";
import { StoreUnavailableError } from "../../src/errors.ts";
import { sqliteStore } from "../../src/stores/sqlite.ts";
import { type Shape, serveFaultApp } from "./support/app.ts";
import { mountSmallDisk } from "./support/tmpfs.ts";
import { Ledger, Visitor, watchEscapes } from "./support/visitor.ts";

/** Each filling login carries this much data: a few fill the disk. */
const PAD = 40_000;
const MAX_FILLING_LOGINS = 100;

const disk = mountSmallDisk("1m");
const filler = join(disk.dir, "filler");
// Space to give back later: deleting it is how the test frees the disk.
writeFileSync(filler, Buffer.alloc(300 * 1024, 1));
const sessions = createSessions<Shape>({
  secret: randomBytes(32).toString("base64url"),
  store: sqliteStore({ path: join(disk.dir, "sessions.db"), sweepInterval: false }),
});
const errors: unknown[] = [];
const served = await serveFaultApp(sessions, errors);
const escapes = watchEscapes();
after(async () => {
  await served.close();
  await sessions.close();
  escapes.stop();
  disk.remove();
});

test("a full disk: writes answer 503 (SQLITE_FULL), reads go on, writes work again once space is freed", async (t) => {
  const ledger = new Ledger();
  const ada = new Visitor("ada", served.url, ledger);
  assert.equal(await ada.login(), "ok");
  assert.equal(await ada.inc(), "ok");
  assert.equal(await ada.inc(), "ok");

  const fillers: Visitor[] = [];
  let full = false;
  for (let i = 0; i < MAX_FILLING_LOGINS && !full; i += 1) {
    const visitor = new Visitor(`filler${i}`, served.url, ledger);
    const outcome = await visitor.login(PAD);
    if (outcome === "unavailable") full = true;
    else {
      assert.equal(outcome, "ok", `filling login ${i}`);
      fillers.push(visitor);
    }
  }
  assert.ok(full, `the disk filled up within ${MAX_FILLING_LOGINS} logins of ${PAD} bytes`);
  t.diagnostic(`${fillers.length} large logins stored before the disk was full`);
  const refusals = errors.filter((error) => error instanceof StoreUnavailableError);
  assert.equal(refusals.length, errors.length, "every error the app met was a store outage");
  assert.match(String((refusals[0] as Error).message), /database or disk is full/);

  // While full: what is stored can still be read, and large writes keep failing cleanly.
  assert.equal(await ada.read(), "ok");
  assert.equal(ada.floor, 2);
  for (const visitor of fillers) assert.equal(await visitor.read(), "ok");
  assert.equal(await new Visitor("late", served.url, ledger).login(PAD), "unavailable");
  // A small increment may still fit in a page SQLite has free, or not: either is fine.
  assert.notEqual(await ada.inc(), "wrong");

  rmSync(filler);
  const again = new Visitor("again", served.url, ledger);
  assert.equal(await again.login(PAD), "ok", "a large login once space is freed");
  assert.equal(await again.inc(), "ok");
  assert.equal(await ada.inc(), "ok", "an increment once space is freed");
  for (const visitor of [ada, again, ...fillers]) await visitor.verify();

  t.diagnostic(ledger.summary());
  assert.deepEqual(ledger.wrong, []);
  assert.deepEqual(ledger.lost, []);
  assert.deepEqual(escapes.escaped, []);
});
