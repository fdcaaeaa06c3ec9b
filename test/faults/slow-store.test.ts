/**
 * A store that answers slowly: a loopback proxy in front of Redis, and of PostgreSQL, delays
 * every chunk by 1 s each way, far past the engine's deadline (storeTimeout 300 ms here).
 * What must hold, over real HTTP through tessera/node:
 *   - every request is answered, and while the store is slow each one that needs it is a 503
 *     (never a 500, never a hang; no time is asserted, the machine may be loaded);
 *   - nothing escapes: no uncaught exception or unhandled rejection from the calls the
 *     deadline gave up on, whose replies arrive later;
 *   - once the latency drops, the same app serves again;
 *   - a write that got a 2xx is there; one that got a 503 may or may not have landed.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { serveFaultApp } from "./support/app.ts";
import { type ProxiedSessions, proxiedSessions, type StoreName } from "./support/proxied-stores.ts";
import { Ledger, untilOk, Visitor, watchEscapes } from "./support/visitor.ts";

/** Each way, per chunk: a round trip takes several times the store deadline. */
const LATENCY_MS = 1_000;

const escapes = watchEscapes();
const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
  escapes.stop();
});

for (const name of ["redis", "postgres"] as const satisfies readonly StoreName[]) {
  test(`${name} answering slowly: 503s while slow, served again once it is not`, async (t) => {
    const store: ProxiedSessions = await proxiedSessions(name);
    closing.push(() => store.close());
    const served = await serveFaultApp(store.sessions);
    closing.push(() => served.close());
    const ledger = new Ledger();
    const visitors = ["ada", "bob", "carol"].map(
      (who) => new Visitor(`${who}-${name}`, served.url, ledger),
    );
    // Every step that must succeed is retried past 503s: a loaded machine can miss a deadline.
    for (const visitor of visitors) {
      await untilOk(() => visitor.login());
      await untilOk(() => visitor.inc());
    }
    const [ada, bob, carol] = visitors as [Visitor, Visitor, Visitor];

    store.proxy.setLatency(LATENCY_MS);
    assert.equal(await ada.inc(), "unavailable", "an increment while slow");
    assert.equal(await ada.read(), "unavailable", "a read while slow");
    assert.equal(await bob.login(), "unavailable", "a login while slow");
    assert.equal(await carol.logout(), "unavailable", "a logout while slow");
    const burst = await Promise.all(visitors.flatMap((v) => [v.inc(), v.read()]));
    assert.deepEqual(new Set(burst), new Set(["unavailable"]), `the burst: ${burst.join(", ")}`);

    store.proxy.setLatency(0);
    // The delayed traffic drains first; then the same app serves every visitor again. A 503
    // login or logout may have landed and ended a session: that visitor logs in again.
    const served503AfterRecovery = await untilOk(() => ada.read());
    for (const visitor of visitors) {
      await untilOk(() => (visitor.cookie === undefined ? visitor.login() : visitor.inc()));
      await untilOk(() => visitor.inc());
      await visitor.verify();
    }
    t.diagnostic(
      `${served503AfterRecovery} 503s while the delayed traffic drained; ${ledger.summary()}`,
    );
    assert.deepEqual(ledger.wrong, []);
    assert.deepEqual(ledger.lost, []);
    assert.deepEqual(escapes.escaped, []);
  });
}
