/**
 * A write abandoned at its deadline must not land after a later acknowledged write and undo
 * it. A loopback proxy in front of PostgreSQL (a pg Pool of 10) holds back one increment's
 * write (the Bind carrying `"count":`) far past the engine's deadline (storeTimeout 300 ms):
 * that request is answered 503, but the write is not undone, it reaches the server when the
 * proxy lets it go. While it is held, the visitor keeps incrementing and reading over the
 * pool's other connections; then the proxy lets it go. Before the engine kept each session's
 * writes in order, those increments were acknowledged (3, then 4) and the held write then
 * landed last, setting the counter back to 3. What must hold, over real HTTP through
 * tessera/node:
 *   - every read and increment finds the counter at or above the last acknowledged value, also
 *     after the held write has landed (the ledger counts anything lower as lost);
 *   - at the end the counter holds every acknowledged increment, and at most the increments
 *     answered 503 on top;
 *   - nothing else goes wrong (a 500, a hang) and nothing escapes.
 * Redis (node-redis) is run the same way for completeness: its one connection keeps the order
 * by itself, and every command behind the held write waits with it. No timing is asserted.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { serveFaultApp } from "./support/app.ts";
import { proxiedSessions, type StoreName } from "./support/proxied-stores.ts";
import { Ledger, type Outcome, untilOk, Visitor, watchEscapes } from "./support/visitor.ts";

/**
 * A bound on how long the proxy holds the increment's write: the test releases it itself once
 * it has incremented past it, so that no increment is in flight when it lands (one whose read
 * came before the landing would write over it and hide the undo).
 */
const HOLD_BOUND_MS = 60_000;
/** A bound on waiting for the proxy to meet, forward and see answered the held write. */
const PROXY_WAIT_MS = 30_000;
/**
 * postgresStore's own limit on a call, far shorter than the hold: the store gives up on the
 * held query while pg still holds it, so the engine's order alone would let the next write
 * go; the store's own (WriteOrder, by the driver's query) must keep it behind the held one.
 */
const POSTGRES_CALL_TIMEOUT = "500ms";
/** Increments tried while the write is held: until two are acknowledged, or this many. */
const TRIES_WHILE_HELD = 5;

/** An increment's write in the client's bytes, and nothing that a read sends. */
const INC_WRITE: Record<StoreName, (chunk: Buffer) => boolean> = {
  // The Bind of the UPDATE carries the patch's data as a parameter.
  postgres: (chunk) => chunk.includes('"count":'),
  // The store's script call (EVALSHA, or EVAL on a fresh connection) with the field to set.
  redis: (chunk) => chunk.includes("EVAL") && chunk.includes("\r\ncount\r\n"),
};

const escapes = watchEscapes();
const closing: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
  escapes.stop();
});

/** `promise`, or a failure naming `what` once `PROXY_WAIT_MS` has passed without it. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not within ${PROXY_WAIT_MS} ms`)),
      PROXY_WAIT_MS,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

for (const name of ["postgres", "redis"] as const satisfies readonly StoreName[]) {
  test(`${name}: a write stalled past its deadline never undoes a later acknowledged one`, {
    timeout: 180_000,
  }, async (t) => {
    const store = await proxiedSessions(name, { postgresCallTimeout: POSTGRES_CALL_TIMEOUT });
    closing.push(() => store.close());
    const served = await serveFaultApp(store.sessions);
    closing.push(() => served.close());
    const ledger = new Ledger();
    const ada = new Visitor(`ada-${name}`, served.url, ledger);
    const increments = { acknowledged: 0, unavailable: 0 };
    const inc = async (): Promise<Outcome> => {
      const outcome = await ada.inc();
      if (outcome === "ok") increments.acknowledged += 1;
      if (outcome === "unavailable") increments.unavailable += 1;
      if (outcome === "wrong" || outcome === "gone") {
        throw new Error(`an increment was ${outcome}: ${[...ledger.wrong, ...ledger.lost]}`);
      }
      return outcome;
    };

    // Every step that must succeed is retried past 503s: a loaded machine can miss a deadline.
    await untilOk(() => ada.login());
    await untilOk(inc);
    await untilOk(inc);

    // The next increment's write is held at the proxy, far past the deadline: a 503.
    const stall = store.proxy.stallNext(INC_WRITE[name], HOLD_BOUND_MS);
    let forwarded = false;
    void stall.forwarded.then(() => {
      forwarded = true;
    });
    assert.equal(await inc(), "unavailable", "the increment whose write is held");
    await within(stall.held, "the proxy meets the increment's write");

    // While it is held: keep incrementing and reading. Each may be acknowledged (the pool's
    // other connections are free) or a 503 (the engine waits for the held write, in vain).
    const acknowledgedBefore = increments.acknowledged;
    let triedWhileHeld = 0;
    while (triedWhileHeld < TRIES_WHILE_HELD && increments.acknowledged - acknowledgedBefore < 2) {
      await inc();
      if ((await ada.read()) === "wrong") throw new Error(`a read failed: ${ledger.wrong}`);
      triedWhileHeld += 1;
    }
    const acknowledgedWhileHeld = increments.acknowledged - acknowledgedBefore;
    assert.equal(forwarded, false, "the write was held while the visitor incremented");

    // Now it lands, after every write that was acknowledged meanwhile.
    stall.release();
    await within(stall.forwarded, "the proxy forwards the held write");
    // The server has answered the held write: it has run.
    await within(stall.answered, "the server answers the held write");
    // Whatever it did, the counter must still hold every acknowledged increment, and later
    // increments must be acknowledged on top of it.
    await untilOk(() => ada.read());
    await untilOk(inc);
    await untilOk(inc);
    for (let check = 0; check < 3; check += 1) {
      await untilOk(() => ada.read());
      await sleep(50);
    }
    await ada.verify();

    // The stored counter, read as is (retried past 503s, as any step that must succeed).
    let state: Response;
    const giveUp = performance.now() + PROXY_WAIT_MS;
    for (;;) {
      state = await fetch(`${served.url}/state`, {
        headers: { cookie: `session=${ada.cookie}` },
        signal: AbortSignal.timeout(PROXY_WAIT_MS),
      });
      if (state.status !== 503 || performance.now() > giveUp) break;
      await state.text();
      await sleep(50);
    }
    assert.equal(state.status, 200, "the final read");
    const { count } = (await state.json()) as { count: number };
    t.diagnostic(
      `${triedWhileHeld} increments tried while held (${acknowledgedWhileHeld} acknowledged); increments acknowledged ${increments.acknowledged}, 503 ${increments.unavailable}; final count ${count}; ${ledger.summary()}`,
    );
    assert.deepEqual(ledger.lost, [], "no acknowledged increment undone");
    assert.deepEqual(ledger.wrong, []);
    assert.ok(count >= ada.floor, `count ${count} below the last acknowledged ${ada.floor}`);
    assert.ok(
      count >= increments.acknowledged && count <= increments.acknowledged + increments.unavailable,
      `count ${count}: ${increments.acknowledged} increments acknowledged, ${increments.unavailable} answered 503`,
    );
    assert.deepEqual(escapes.escaped, []);
  });
}
