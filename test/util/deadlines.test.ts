import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Deadlines } from "../../src/util/deadlines.ts";

const timeout = () => new Error("timed out");

test("a call that settles in time settles the run the same way", async () => {
  const deadlines = new Deadlines(200);
  assert.equal(await deadlines.run(async () => 7, timeout), 7);
  await assert.rejects(
    deadlines.run(() => Promise.reject(new TypeError("bad")), timeout),
    TypeError,
  );
  await assert.rejects(
    deadlines.run(() => {
      throw new RangeError("thrown synchronously");
    }, timeout),
    RangeError,
  );
});

test("a call that outlasts the limit rejects with the timeout error, and its late result is ignored", async () => {
  const deadlines = new Deadlines(50);
  const started = performance.now();
  await assert.rejects(
    deadlines.run(() => sleep(300).then(() => "late"), timeout),
    /timed out/,
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 45 && elapsed < 250, `rejected after ${elapsed} ms`);
});

test("many overlapping calls each get their own deadline from one timer", async () => {
  const deadlines = new Deadlines(80);
  const outcomes: Promise<string>[] = [];
  for (let index = 0; index < 300; index += 1) {
    // Every third call hangs; the rest finish at various times inside the limit.
    const hangs = index % 3 === 0;
    outcomes.push(
      deadlines
        .run(
          () => (hangs ? new Promise<string>(() => {}) : sleep(index % 40).then(() => "ok")),
          timeout,
        )
        .catch((error: Error) => error.message),
    );
    if (index % 50 === 0) await sleep(10);
  }
  const results = await Promise.all(outcomes);
  results.forEach((result, index) => {
    assert.equal(result, index % 3 === 0 ? "timed out" : "ok", `call ${index}`);
  });
  // Calls after a quiet spell start a fresh timer.
  await sleep(100);
  await assert.rejects(
    deadlines.run(() => new Promise(() => {}), timeout),
    /timed out/,
  );
});

test("where timers end with the request (setTimeout returns a number, as in Workers), every call still times out", async () => {
  // workerd cancels a request's timers when its response is done. Stand-in: timers are numbers,
  // and the first timer ever set is cancelled as if its request had ended.
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const timers = new Map<number, ReturnType<typeof realSetTimeout>>();
  let next = 0;
  globalThis.setTimeout = ((callback: () => void, ms: number) => {
    const id = ++next;
    if (id > 1) timers.set(id, realSetTimeout(callback, ms));
    return id;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id: number) => {
    realClearTimeout(timers.get(id));
    timers.delete(id);
  }) as unknown as typeof clearTimeout;
  try {
    const deadlines = new Deadlines(50);
    // The first request's timer dies with it: its call is answered by the store in time.
    assert.equal(await deadlines.run(async () => "first", timeout), "first");
    // A later request's store hangs: its own timer ends it.
    await assert.rejects(
      deadlines.run(() => new Promise(() => {}), timeout),
      /timed out/,
    );
    assert.equal(await deadlines.run(async () => "third", timeout), "third");
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  }
});
