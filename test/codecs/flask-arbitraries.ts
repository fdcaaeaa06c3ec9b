import fc from "fast-check";
import {
  FlaskFloat,
  type FlaskSessionData,
  FlaskTuple,
  FlaskUUID,
  type FlaskValue,
  Markup,
} from "../../src/codecs/flask/index.ts";

/**
 * A date in years 100..9999, whole seconds (what an HTTP date keeps). Years 1..99 are written
 * but read back as two-digit years (0099 → 1999), by Flask and tessera alike.
 */
const date = fc
  .integer({ min: -59011459200, max: 253402300799 })
  .map((seconds) => new Date(seconds * 1000));

/** Values Flask's tagged JSON stores, in the form tessera decodes them to. */
export const flaskValue: fc.Arbitrary<FlaskValue> = fc.letrec<{ value: FlaskValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.string({ unit: "binary" }),
    fc.string(),
    fc.integer(),
    fc.maxSafeInteger().filter((value) => !Object.is(value, -0)),
    fc
      .bigInt({ min: -(2n ** 70n), max: 2n ** 70n })
      .filter((value) => value < -(2n ** 53n) || value > 2n ** 53n),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(tie("value"), { maxLength: 4 }).map((items) => new FlaskTuple(items)),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 5 }), tie("value"), { maxKeys: 4 }),
    fc
      .tuple(fc.constantFrom(" t", " b", " d", " u", " m", " di"), tie("value"))
      .map(([key, value]) => ({ [key]: value })),
    fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
    date,
    fc.uuid().map((text) => new FlaskUUID(text)),
    fc.string().map((html) => new Markup(html)),
  ),
})).value;

export const flaskData: fc.Arbitrary<FlaskSessionData> = fc.dictionary(
  fc.string({ unit: "binary", maxLength: 8 }),
  flaskValue,
  { maxKeys: 6 },
);

/**
 * What a value written by tessera reads back as through Flask's JSON: -0 is written as the int
 * 0, and a JavaScript number beyond 2^53 as a Python float, read back as a FlaskFloat.
 */
export function readBack(value: FlaskValue): FlaskValue {
  if (typeof value === "number") {
    if (Object.is(value, -0)) return 0;
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? new FlaskFloat(value) : value;
  }
  if (Array.isArray(value)) return value.map(readBack);
  if (value instanceof FlaskTuple) return new FlaskTuple(value.items.map(readBack));
  const proto =
    value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    const result: Record<string, FlaskValue> = {};
    for (const [key, item] of Object.entries(value as Record<string, FlaskValue>)) {
      // defineProperty, so a "__proto__" key stays an own key as the decoder makes it.
      Object.defineProperty(result, key, {
        value: readBack(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}
