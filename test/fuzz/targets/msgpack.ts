/**
 * MessagePack, the default serialization of Flask-Session's records: bytes from a shared store
 * that anyone could have written.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeMsgpack,
  decodeMsgpackEntries,
  encodeMsgpack,
  MsgpackDecodeError,
  MsgpackExtension,
} from "../../../src/codecs/msgpack/index.ts";
import { TesseraError } from "../../../src/errors.ts";
import { defineTarget, type FuzzTarget, onlyTesseraErrors } from "../target.ts";

/** Values as the decoder gives them back, so that a round trip returns them unchanged. */
export const msgpackValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.integer(),
    fc.maxSafeInteger().filter((value) => !Object.is(value, -0)),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
      .filter((value) => value < -(2n ** 53n) + 1n || value > 2n ** 53n - 1n),
    fc.double().filter((value) => !Number.isSafeInteger(value)),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
    fc.date({
      min: new Date("0001-01-01T00:00:00.000Z"),
      max: new Date("9999-12-31T23:59:59.999Z"),
      noInvalidDate: true,
    }),
    fc
      .tuple(fc.integer({ min: -128, max: 127 }), fc.uint8Array({ maxLength: 20 }))
      .filter(([type]) => type !== -1)
      .map(([type, data]) => new MsgpackExtension(type, Buffer.from(data))),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), {
      maxKeys: 5,
      noNullPrototype: true,
    }),
  ),
})).value;

/** Decodes, letting only the decoder's own refusal through (or a TesseraError, for depth). */
function tryDecode<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    assert.ok(
      error instanceof MsgpackDecodeError || error instanceof TesseraError,
      `unexpected ${error instanceof Error ? error.stack : String(error)}`,
    );
    return undefined;
  }
}

/** -0 is written as the integer 0 (Python has no negative zero integer). */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(result, key, {
        value: withoutNegativeZero(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

const bytesInput = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // A map or array header in front of random bytes: reaches the nested paths more often.
  fc
    .tuple(
      fc.constantFrom(0x81, 0x82, 0x92, 0xde, 0xdc, 0xc7, 0xd7, 0xc4),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([head, rest]) => Uint8Array.of(head, ...rest)),
  // A valid encoding with bytes changed, cut or added.
  fc
    .tuple(
      msgpackValue,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 3,
      }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([value, changes, cut]) => {
      const bytes = Buffer.from(encodeMsgpack(value));
      for (const [at, byte] of changes) bytes[at % bytes.length] = byte;
      return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    }),
);

export const msgpackTarget: FuzzTarget = defineTarget(
  "msgpack",
  "values round-trip byte for byte; any bytes decode or fail with MsgpackDecodeError only; what decodes re-encodes (or is refused with a TesseraError) to the same value, and the entry scanner agrees with the decoder",
  () =>
    fc.property(
      fc.oneof(
        msgpackValue.map((value) => ({ value, bytes: undefined })),
        bytesInput.map((bytes) => ({ value: undefined, bytes })),
      ),
      ({ value, bytes }) => {
        if (bytes === undefined) {
          const encoded = encodeMsgpack(value);
          assert.deepStrictEqual(decodeMsgpack(encoded), value);
          assert.deepStrictEqual(
            Buffer.from(encodeMsgpack(decodeMsgpack(encoded))),
            Buffer.from(encoded),
          );
          return;
        }
        const decoded = tryDecode(() => decodeMsgpack(bytes));
        const entries = tryDecode(() => decodeMsgpackEntries(bytes));
        const isMap =
          decoded !== null &&
          typeof decoded === "object" &&
          Object.getPrototypeOf(decoded) === Object.prototype;
        assert.equal(entries !== undefined, isMap, "the entry scanner reads exactly the maps");
        if (entries !== undefined) {
          const names = new Set(
            entries.flatMap((entry) => (entry.name === undefined ? [] : [entry.name])),
          );
          assert.deepEqual(new Set(Object.keys(decoded as object)), names);
        }
        if (decoded === undefined) return;
        const again = onlyTesseraErrors(() => encodeMsgpack(decoded));
        if (again !== undefined) {
          assert.deepStrictEqual(decodeMsgpack(again), withoutNegativeZero(decoded));
        }
      },
    ),
);
