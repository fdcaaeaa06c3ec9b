/**
 * A store connection dropped mid-write: a loopback proxy in front of Redis, and of PostgreSQL,
 * forwards a write (Redis: the EVALSHA of the store's script; PostgreSQL: the Bind carrying
 * the UPDATE's or INSERT's data) to the server, then drops the client's connection before the
 * reply can come back. The server got the write; the app cannot know whether it ran. What must
 * hold, over real HTTP through tessera/node:
 *   - that request is answered 503 (never a 500, never a hang) and nothing escapes;
 *   - the client library reconnects on its own, and later requests succeed;
 *   - every write that got a 2xx is there; the cut one may or may not have landed.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { serveFaultApp } from "./support/app.ts";
import { type ProxiedSessions, proxiedSessions, type StoreName } from "./support/proxied-stores.ts";
import { Ledger, untilOk, Visitor, watchEscapes } from "./support/visitor.ts";

/** How to recognise, in the client's bytes, the write of an increment and of a login. */
const WRITES: Record<StoreName, { inc: string; login: string }> = {
  // Every session write is one script call; the first of a connection may go as EVAL instead.
  redis: { inc: "EVAL", login: "EVAL" },
  // The Bind message carries the patch's data as a parameter (statements are named, so the
  // SQL text itself is sent once per connection, not with each call).
  postgres: { inc: '"count":', login: '"user":' },
};

const escapes = watchEscapes();
const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
  escapes.stop();
});

for (const name of ["redis", "postgres"] as const satisfies readonly StoreName[]) {
  test(`${name} connection dropped mid-write: a 503, then the client reconnects and serves`, async (t) => {
    const store: ProxiedSessions = await proxiedSessions(name);
    closing.push(() => store.close());
    const served = await serveFaultApp(store.sessions);
    closing.push(() => served.close());
    const ledger = new Ledger();
    const ada = new Visitor(`ada-${name}`, served.url, ledger);
    // Every step that must succeed is retried past 503s: a loaded machine can miss a deadline.
    await untilOk(() => ada.login());
    await untilOk(() => ada.inc());
    await untilOk(() => ada.inc());
    const floorBefore = ada.floor;
    const markers = WRITES[name];
    const connectionsBefore = store.proxy.accepted;

    // An increment whose write reaches the server and whose reply never comes back.
    const cut = store.proxy.cutAfter((chunk) => chunk.includes(markers.inc));
    assert.equal(await ada.inc(), "unavailable", "the increment cut mid-write");
    await cut;
    const retries = await untilOk(() => ada.read());
    const landed = ada.floor > floorBefore;
    await untilOk(() => ada.inc());

    // A login (regenerate: the record moves to a new id) cut the same way.
    const cutLogin = store.proxy.cutAfter((chunk) => chunk.includes(markers.login));
    assert.equal(await ada.login(), "unavailable", "the login cut mid-write");
    await cutLogin;
    await untilOk(() => (ada.cookie === undefined ? ada.login() : ada.inc()));
    assert.ok(store.proxy.accepted > connectionsBefore, "the client opened a new connection");

    const bob = new Visitor(`bob-${name}`, served.url, ledger);
    await untilOk(() => bob.login());
    await untilOk(() => bob.inc());
    for (const visitor of [ada, bob]) await visitor.verify();
    t.diagnostic(
      `the cut increment ${landed ? "landed" : "did not land"}; ${retries} 503s before the client reconnected; ${ledger.summary()}`,
    );
    assert.deepEqual(ledger.wrong, []);
    assert.deepEqual(ledger.lost, []);
    assert.deepEqual(escapes.escaped, []);
  });
}
