/**
 * Flask-Session records for the tests of the stores' "flask-session" layouts (Redis and
 * PostgreSQL): MessagePack spelled in hex, a record Python wrote, records tessera cannot read,
 * and hostile bytes.
 */
import fc from "fast-check";
import { encodeMsgpack } from "../../src/codecs/msgpack/index.ts";

/** The MessagePack of `value`, in hex, as tessera (and msgspec) writes it. */
export const mp = (value: unknown): string => Buffer.from(encodeMsgpack(value)).toString("hex");

/** A MessagePack map of raw entries, each a key's and a value's bytes in hex. */
export function rawMap(...entries: [string, string][]): Buffer {
  if (entries.length > 15) throw new Error("rawMap writes fixmaps only");
  return Buffer.from(
    `${(0x80 | entries.length).toString(16)}${entries.map(([k, v]) => k + v).join("")}`,
    "hex",
  );
}

/**
 * `{"_permanent": True, "f": 1.0, "when": datetime(2024, 1, 1, microsecond=123456,
 * tzinfo=timezone.utc), "ext": ExtType(5, b"xy")}` as python3-msgpack packs it, in hex, with
 * `more` entries (hex) after them: values tessera could not write again byte for byte if it
 * decoded them, so a patch must copy them.
 */
export function pythonRecord(...more: string[]): string {
  const entries = [
    "aa5f7065726d616e656e74c3", // "_permanent": True
    "a166cb3ff0000000000000", // "f": 1.0
    "a47768656ed7ff1d6f280065920080", // "when": the datetime, as the timestamp extension
    "a3657874d5057879", // "ext": ExtType(5, b"xy")
    ...more,
  ];
  return `${(0x80 | entries.length).toString(16)}${entries.join("")}`;
}

/** Stored values that are no session to tessera (nor, but for pickle, to Flask-Session 0.8). */
export const UNREADABLE_RECORDS: readonly [string, Buffer | string][] = [
  ["pickle", Buffer.from("80049512000000000000007d948c04757365729468019473", "hex")],
  ["garbage", Buffer.from("c1c1c1", "hex")],
  ["a JSON list", "[1, 2]"],
  ["broken JSON", '{"a": 1'],
  ["trailing bytes", Buffer.from("80c0", "hex")],
  ["an extension, not a map", Buffer.from("d40501", "hex")],
  ["bytes, not a map", Buffer.from("c40161", "hex")],
  ["an empty string", ""],
];

/**
 * Bytes anyone could have stored: random bytes, real records with one byte changed, cut short
 * or grown, broken JSON, and JSON with repeated keys.
 */
export const hostileRecords: fc.Arbitrary<Buffer | string> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 4 }),
      fc.nat(),
      fc.nat(255),
      fc.constantFrom("mutate", "cut", "grow"),
    )
    .map(([data, at, byte, how]) => {
      const bytes = Buffer.from(encodeMsgpack(data));
      if (how === "cut") return bytes.subarray(0, at % bytes.length);
      if (how === "grow") return Buffer.concat([bytes, Buffer.from([byte])]);
      bytes[at % bytes.length] = byte;
      return bytes;
    }),
  fc
    .tuple(fc.json(), fc.nat(), fc.string({ maxLength: 2 }))
    .map(([json, at, text]) => `{"k": ${json.slice(0, at % (json.length + 1))}${text}`),
  fc.json().map((json) => ` {"k":${json}, "u": ${json}}`),
);

/**
 * `{"_permanent": True, 42: "int", None: "none", "cart": {42: 1}, 1.5: "float", b"k": "bytes"}`:
 * keys that are not text, at the top and nested, and one (bytes) that JSON cannot name.
 */
export const NON_TEXT_KEYS = {
  record: rawMap(
    [mp("_permanent"), "c3"],
    ["2a", mp("int")],
    ["c0", mp("none")],
    [mp("cart"), "812a01"],
    ["cb3ff8000000000000", mp("float")],
    ["c4016b", mp("bytes")],
  ),
  /** The "cart" entry, copied as it is by a patch that does not name it. */
  cart: `${mp("cart")}812a01`,
  /** The bytes-keyed entry, which no patch can name. */
  bytesKey: `c4016b${mp("bytes")}`,
};
