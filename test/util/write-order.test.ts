import assert from "node:assert/strict";
import { test } from "node:test";
import { WriteOrder } from "../../src/util/write-order.ts";

/** A write the test finishes by hand. */
function pendingWrite() {
  let finish!: () => void;
  const done = new Promise<string>((resolve) => {
    finish = () => resolve("written");
  });
  return { done, finish };
}

/** A deadline the test fires by hand: the caller's view of the write fails, the write goes on. */
function handDeadline() {
  let fire!: () => void;
  const fired = new Promise<never>((_, reject) => {
    fire = () => reject(new Error("deadline"));
  });
  fired.catch(() => {});
  return {
    fire,
    bounded: (call: () => Promise<string>) => Promise.race([call(), fired]),
  };
}

/** A write that notes its name in `sent` when it goes out. */
function record(
  sent: string[],
  name: string,
  result: () => Promise<string> = async () => "written",
): () => Promise<string> {
  return () => {
    sent.push(name);
    return result();
  };
}

test("writes behind no abandoned write go out at once, concurrently", async () => {
  const order = new WriteOrder();
  const sent: string[] = [];
  const first = pendingWrite();
  const a = order.run(
    ["s"],
    record(sent, "a", () => first.done),
    (call) => call(),
  );
  const b = order.run(["s"], record(sent, "b"), (call) => call());
  assert.deepEqual(sent, ["a", "b"], "both sent before either finished");
  first.finish();
  assert.deepEqual(await Promise.all([a, b]), ["written", "written"]);
});

test("a write abandoned at its deadline holds back the next write to its key until it settles", async () => {
  const order = new WriteOrder();
  const sent: string[] = [];
  const stalled = pendingWrite();
  const deadline = handDeadline();
  const abandoned = order.run(
    ["s"],
    record(sent, "stalled", () => stalled.done),
    deadline.bounded,
  );
  deadline.fire();
  await assert.rejects(abandoned, /deadline/);
  const next = order.run(["s"], record(sent, "next"), (call) => call());
  const other = order.run(["t"], record(sent, "other key"), (call) => call());
  await other;
  assert.deepEqual(sent, ["stalled", "other key"], "the next write to s waits; t does not");
  stalled.finish();
  assert.equal(await next, "written");
  assert.deepEqual(sent, ["stalled", "other key", "next"]);
  // Settled: nothing is held back any more.
  const later = order.run(["s"], record(sent, "later"), (call) => call());
  assert.deepEqual(sent.at(-1), "later");
  await later;
});

test("a rename waits for an abandoned write to either of its ids", async () => {
  const order = new WriteOrder();
  const stalled = pendingWrite();
  const deadline = handDeadline();
  const abandoned = order.run(["to"], () => stalled.done, deadline.bounded);
  deadline.fire();
  await assert.rejects(abandoned);
  let renamed = false;
  const rename = order.run(
    ["from", "to"],
    async () => {
      renamed = true;
      return "written";
    },
    (call) => call(),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(renamed, false);
  stalled.finish();
  await rename;
  assert.equal(renamed, true);
});
