import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { mock, test } from "node:test";
import { RandomPool } from "../../src/crypto/random-pool.ts";

/** randomBytes answering 0, 1, 2, … (mod 256) across calls, counted. */
function countingRandomBytes(): { calls: () => number; restore: () => void } {
  let next = 0;
  const method = mock.method(crypto, "randomBytes", (size: number) =>
    Buffer.from(Array.from({ length: size }, () => next++ % 256)),
  );
  syncBuiltinESMExports();
  return {
    calls: () => method.mock.callCount(),
    restore: () => {
      method.mock.restore();
      syncBuiltinESMExports();
    },
  };
}

test("a pool hands out each random byte once, in order, one randomBytes call per refill", () => {
  const random = countingRandomBytes();
  try {
    const pool = new RandomPool(36);
    const drawn: number[] = [];
    for (let draw = 0; draw < 9; draw++) drawn.push(...pool.take(12));
    // Three draws per refill: 9 draws, 3 calls, and no byte twice or skipped.
    assert.equal(random.calls(), 3);
    assert.deepEqual(
      drawn,
      Array.from({ length: 108 }, (_, index) => index),
    );
    // A draw that does not fit what is left starts a new pool; the rest is never used.
    const small = new RandomPool(10);
    const first = small.take(6);
    const second = small.take(6);
    assert.equal(random.calls(), 5);
    assert.deepEqual([...first], [108, 109, 110, 111, 112, 113]);
    assert.deepEqual([...second], [118, 119, 120, 121, 122, 123]);
    // Larger than the pool: drawn directly.
    assert.equal(small.take(11).length, 11);
    assert.equal(random.calls(), 6);
  } finally {
    random.restore();
  }
});

test("a draw is a Buffer of its own: later draws and refills leave it as it was", () => {
  const pool = new RandomPool(24);
  const first = pool.take(12);
  const copy = Buffer.from(first);
  for (let draw = 0; draw < 10; draw++) pool.take(12);
  assert.deepEqual(first, copy);
  assert.notDeepEqual(pool.take(12), copy);
  assert.throws(() => new RandomPool(0), RangeError);
});
