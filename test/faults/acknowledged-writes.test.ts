/**
 * No acknowledged write is lost, whatever the store goes through. For each fault of
 * test/faults/ in turn (SQLite locked by another process, SQLite on a full disk, SQLite rows
 * corrupted from outside, Redis and PostgreSQL answering slowly, Redis and PostgreSQL
 * connections dropped mid-write), visitors browse an app over real HTTP through tessera/node
 * (logins, increments of a counter in their session, reads, logouts) before, during and after
 * the fault. Each visitor keeps a ledger of what was acknowledged (support/visitor.ts), and
 * the test counts, over all the faults:
 *   - acknowledged writes: logins, increments and logouts answered 2xx;
 *   - 503s, which promise nothing either way;
 *   - lost acknowledged writes: a counter below its last acknowledged value, a session gone
 *     whose every login and logout was acknowledged, an acknowledged logout that came back.
 * Lost must be 0; anything other than 2xx, 401 and 503 (a 500, a hang) fails too. The counts
 * are printed for the closing note.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PHASES } from "./support/phases.ts";
import { Ledger, untilOk, Visitor, watchEscapes } from "./support/visitor.ts";

const VISITORS = 6;
/** Browsing before the fault, and under it; no timing is asserted. */
const BEFORE_MS = 400;
const DURING_MS = 1_500;
/** Browsing after every visitor was served again. */
const AFTER_MS = 300;

const escapes = watchEscapes();
after(() => escapes.stop());

test("acknowledged writes survive every fault", { timeout: 600_000 }, async (t) => {
  const total = new Ledger();
  for (const phase of PHASES) {
    const ledger = new Ledger();
    const running = await phase.start();
    try {
      const visitors = Array.from(
        { length: VISITORS },
        (_, index) => new Visitor(`v${index}`, running.base, ledger),
      );
      let browsing = true;
      const loops = visitors.map(async (visitor) => {
        while (browsing) {
          await visitor.step();
          await sleep(5 + Math.random() * 10);
        }
      });
      try {
        await sleep(BEFORE_MS);
        await running.induce(visitors);
        await sleep(DURING_MS);
        await running.recover();
      } finally {
        browsing = false;
        await Promise.all(loops);
      }
      // After the fault: every visitor is served again, browses on a little, then checks
      // that what was acknowledged is there.
      for (const visitor of visitors) {
        await untilOk(() => (visitor.cookie === undefined ? visitor.login() : visitor.inc()));
      }
      browsing = true;
      const tail = visitors.map(async (visitor) => {
        const end = performance.now() + AFTER_MS;
        while (performance.now() < end) await visitor.step();
      });
      await Promise.all(tail);
      for (const visitor of visitors) await visitor.verify();
    } finally {
      await running.close();
    }
    t.diagnostic(`${phase.name}: ${ledger.summary()}`);
    total.add(ledger);
  }
  t.diagnostic(`all faults: ${total.summary()}`);
  assert.deepEqual(total.wrong, [], "no 500, no hang, every 503 as tessera sends it");
  assert.deepEqual(total.lost, [], "no acknowledged write lost");
  assert.deepEqual(escapes.escaped, [], "no uncaught exception or unhandled rejection");
  assert.ok(total.acknowledged > 0 && total.unavailable > 0, "the faults were met under load");
});
