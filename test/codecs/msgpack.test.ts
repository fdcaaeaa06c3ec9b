/**
 * The MessagePack codec: fixed vectors, the decoder against hostile bytes (truncation, lying
 * lengths, nesting bombs, `__proto__`), what Python can write that JSON cannot (map keys that
 * are not text, extension types), fast-check round trips, and Debian's python3-msgpack as the
 * oracle: Python reads every encoding and writes back the same bytes, tessera reads what Python
 * writes, and a key that is not text reads as Python's json.dumps names it.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { FlaskFloat, FlaskTuple, FlaskUUID, Markup } from "../../src/codecs/flask/index.ts";
import {
  decodeMsgpack,
  encodeMsgpack,
  MsgpackDecodeError,
  MsgpackExtension,
} from "../../src/codecs/msgpack/index.ts";
import { SessionValueError } from "../../src/errors.ts";
import { PythonOracle } from "../support/python-oracle.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Buffer => Buffer.from(text, "hex");

/** Values as the decoder gives them back: the fixed points of a round trip. */
const decodedValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.string({ unit: "binary" }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.integer(),
    fc.maxSafeInteger().filter((value) => !Object.is(value, -0)),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
      .filter((value) => value < -(2n ** 53n) + 1n || value > 2n ** 53n - 1n),
    fc.double().filter((value) => !Number.isSafeInteger(value)),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.date({
      min: new Date("0001-01-01T00:00:00.000Z"),
      max: new Date("9999-12-31T23:59:59.999Z"),
      noInvalidDate: true,
    }),
    // Types 0 to 127: python3-msgpack's ExtType takes no other (msgspec's Ext takes -128 to 127).
    fc
      .tuple(fc.integer({ min: 0, max: 127 }), fc.uint8Array({ maxLength: 300 }))
      .map(([type, data]) => new MsgpackExtension(type, Buffer.from(data))),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), {
      maxKeys: 5,
      noNullPrototype: true,
    }),
  ),
})).value;

describe("msgpack: fixed vectors", () => {
  const vectors: [string, unknown][] = [
    ["c0", null],
    ["c2", false],
    ["c3", true],
    ["00", 0],
    ["7f", 127],
    ["cc80", 128],
    ["cd0100", 256],
    ["ce00010000", 65536],
    ["cf0000000100000000", 2 ** 32],
    ["cf001fffffffffffff", Number.MAX_SAFE_INTEGER],
    ["cf0020000000000000", 2n ** 53n],
    ["cfffffffffffffffff", 2n ** 64n - 1n],
    ["ff", -1],
    ["e0", -32],
    ["d0df", -33],
    ["d1ff7f", -129],
    ["d2ffff7fff", -32769],
    ["d3ffffffff7fffffff", -(2 ** 31) - 1],
    ["d38000000000000000", -(2n ** 63n)],
    ["cb3ff8000000000000", 1.5],
    ["cb7ff0000000000000", Number.POSITIVE_INFINITY],
    ["a0", ""],
    ["a2c3a9", "é"],
    ["a4f09f8daa", "🍪"],
    [`d920${"61".repeat(32)}`, "a".repeat(32)],
    ["c403010203", Buffer.from([1, 2, 3])],
    ["80", {}],
    ["90", []],
    ["82a1619201c0a162c3", { a: [1, null], b: true }],
    ["d6ff00000000", new Date(0)],
    ["d7ff7735940000000001", new Date(1500)],
    ["c70cff00000000ffffffffffffffff", new Date(-1000)],
  ];

  for (const [bytes, value] of vectors) {
    test(`${bytes} ↔ ${String(value)}`, () => {
      assert.equal(hex(encodeMsgpack(value)), bytes);
      assert.deepEqual(decodeMsgpack(fromHex(bytes)), value);
    });
  }

  test("array and map headers switch to 16 bits at 16 entries, and str to 16 bits at 256 bytes", () => {
    const items = Array.from({ length: 16 }, (_, index) => index);
    assert.equal(hex(encodeMsgpack(items)).slice(0, 6), "dc0010");
    const map = Object.fromEntries(items.map((index) => [`k${index}`, index]));
    assert.equal(hex(encodeMsgpack(map)).slice(0, 6), "de0010");
    assert.equal(hex(encodeMsgpack("x".repeat(256))).slice(0, 6), "da0100");
    assert.equal(hex(encodeMsgpack(Buffer.alloc(256))).slice(0, 6), "c50100");
  });

  test("a FlaskFloat is a float64 even when integral; -0 and integral numbers are ints", () => {
    assert.equal(hex(encodeMsgpack(new FlaskFloat(1))), "cb3ff0000000000000");
    assert.equal(hex(encodeMsgpack(1)), "01");
    assert.equal(hex(encodeMsgpack(-0)), "00");
    // An integral float64 reads as a number (Python's 1.0 is JavaScript's 1).
    assert.equal(decodeMsgpack(fromHex("cb3ff0000000000000")), 1);
    assert.equal(decodeMsgpack(fromHex("ca3fc00000")), 1.5);
  });

  test("tuples are arrays; UUID and Markup are their text; undefined is left out of maps", () => {
    assert.deepEqual(decodeMsgpack(encodeMsgpack(new FlaskTuple([1, "a"]))), [1, "a"]);
    const uuid = new FlaskUUID("c4524ac0-e81e-4aa8-a595-0aec605a659a");
    assert.equal(decodeMsgpack(encodeMsgpack(uuid)), "c4524ac0-e81e-4aa8-a595-0aec605a659a");
    assert.equal(decodeMsgpack(encodeMsgpack(new Markup("<b>hi</b>"))), "<b>hi</b>");
    assert.deepEqual(decodeMsgpack(encodeMsgpack({ a: undefined, b: [undefined] })), { b: [null] });
  });

  test("dates keep their milliseconds; finer timestamps are cut to the millisecond", () => {
    const date = new Date("2024-03-26T12:34:56.789Z");
    assert.deepEqual(decodeMsgpack(encodeMsgpack(date)), date);
    // 96-bit form: 999999999 ns
    const nanos = fromHex("c70cff3b9ac9ff0000000000000001");
    assert.deepEqual(decodeMsgpack(nanos), new Date(1999));
  });
});

describe("msgpack: values that cannot be stored are SessionValueErrors naming where they are", () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const cases: [string, unknown, RegExp][] = [
    ["a cycle", { a: [circular] }, /circular reference at value\["a"\]\[0\]\["self"\]/],
    ["a function", { f: () => 1 }, /a function at value\["f"\]/],
    ["a symbol", [Symbol("x")], /a symbol at value\[0\]/],
    ["a Map", { m: new Map() }, /a Map at value\["m"\]/],
    ["a lone surrogate", { s: "\ud800" }, /lone surrogate.* at value\["s"\]/],
    ["a lone surrogate in a key", { "\udc00": 1 }, /lone surrogate/],
    ["a bigint past uint64", 2n ** 64n, /outside the 64-bit range/],
    ["a bigint past int64", -(2n ** 63n) - 1n, /outside the 64-bit range/],
    ["an invalid date", new Date(Number.NaN), /invalid or outside Python's years/],
    ["a date before year 1", new Date("-000001-01-01T00:00:00Z"), /outside Python's years/],
    ["a typed array other than bytes", new Int16Array(2), /a Int16Array/],
  ];
  for (const [name, value, message] of cases) {
    test(name, () => {
      assert.throws(
        () => encodeMsgpack(value),
        (error: unknown) => {
          assert.ok(error instanceof SessionValueError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  test("nesting beyond 512 levels", () => {
    let deep: unknown = 1;
    for (let index = 0; index < 600; index++) deep = [deep];
    assert.throws(() => encodeMsgpack(deep), SessionValueError);
  });
});

describe("msgpack: keys that are not text, and extension types, read as JSON would hold them", () => {
  const map = (...pairs: [string, string][]) =>
    fromHex(`${(0x80 | pairs.length).toString(16)}${pairs.map(([k, v]) => k + v).join("")}`);

  test("a key that is not text is named as Python's json.dumps names it", () => {
    const cases: [string, string][] = [
      ["2a", "42"],
      ["ff", "-1"],
      ["cd0100", "256"],
      ["d0df", "-33"],
      ["cf0000000000000005", "5"],
      ["cfffffffffffffffff", "18446744073709551615"],
      ["d38000000000000000", "-9223372036854775808"],
      ["c0", "null"],
      ["c3", "true"],
      ["c2", "false"],
      ["cb3ff8000000000000", "1.5"],
      ["cb3ff0000000000000", "1.0"],
      ["cb8000000000000000", "-0.0"],
      ["cb4341c37937e08000", "1e+16"],
      ["cb3ee4f8b588e368f1", "1e-05"],
      ["cb7ff8000000000000", "NaN"],
      ["cb7ff0000000000000", "Infinity"],
      ["cbfff0000000000000", "-Infinity"],
      ["ca3dcccccd", "0.10000000149011612"],
    ];
    for (const [key, name] of cases) {
      assert.deepEqual(decodeMsgpack(map([key, "01"])), { [name]: 1 }, key);
    }
  });

  test("at any depth: a cart of {42: 1} is { '42': 1 }", () => {
    // {"cart": {42: 1, None: 2}}
    assert.deepEqual(decodeMsgpack(fromHex("81a463617274822a01c002")), {
      cart: { "42": 1, null: 2 },
    });
  });

  test("when two keys read the same, the later one wins", () => {
    // {1: "a", "1": "b"} and {"1": "b", 1: "a"}
    assert.deepEqual(decodeMsgpack(map(["01", "a161"], ["a131", "a162"])), { "1": "b" });
    assert.deepEqual(decodeMsgpack(map(["a131", "a162"], ["01", "a161"])), { "1": "a" });
  });

  test("a key JSON cannot hold (bytes, a tuple, a datetime, an extension) is left out, as json.dumps(skipkeys=True) does", () => {
    const keys = ["c40161", "920102", "d6ff00000000", "d40501", "80"];
    for (const key of keys) {
      assert.deepEqual(decodeMsgpack(map([key, "01"], ["a161", "02"])), { a: 2 }, key);
    }
  });

  test("an extension type other than the timestamp is a MsgpackExtension, written back as it came", () => {
    const cases: [string, number, string][] = [
      ["d40501", 5, "01"],
      ["d5fb0102", -5, "0102"],
      ["d60501020304", 5, "01020304"],
      [`d705${"ab".repeat(8)}`, 5, "ab".repeat(8)],
      [`d87f${"cd".repeat(16)}`, 127, "cd".repeat(16)],
      ["c70005", 5, ""],
      ["c70305010203", 5, "010203"],
      [`c7ff80${"00".repeat(255)}`, -128, "00".repeat(255)],
      [`c8010005${"11".repeat(256)}`, 5, "11".repeat(256)],
      [`c90001000005${"22".repeat(65536)}`, 5, "22".repeat(65536)],
    ];
    for (const [bytes, type, data] of cases) {
      const value = decodeMsgpack(fromHex(bytes));
      assert.deepEqual(value, new MsgpackExtension(type, fromHex(data)), bytes.slice(0, 12));
      assert.equal(hex(encodeMsgpack(value)), bytes);
      assert.equal(hex(encodeMsgpack({ x: value })), `81a178${bytes}`);
    }
  });

  test("a MsgpackExtension that is not one is a SessionValueError", () => {
    const bad: [MsgpackExtension, RegExp][] = [
      [new MsgpackExtension(-1, Buffer.alloc(4)), /type -1 \(the timestamp: use a Date\)/],
      [new MsgpackExtension(128, Buffer.alloc(1)), /type 128/],
      [new MsgpackExtension(1.5, Buffer.alloc(1)), /type 1.5/],
      [new MsgpackExtension(1, [1] as unknown as Uint8Array), /data that is not a Uint8Array/],
    ];
    for (const [value, message] of bad) {
      assert.throws(
        () => encodeMsgpack({ e: value }),
        (error: unknown) => {
          assert.ok(error instanceof SessionValueError);
          assert.match(error.message, message);
          assert.match(error.message, /at value\["e"\]/);
          return true;
        },
      );
    }
  });
});

describe("msgpack: hostile bytes are MsgpackDecodeErrors, never crashes", () => {
  const rejects = (bytes: string, message: RegExp) => () => {
    assert.throws(
      () => decodeMsgpack(fromHex(bytes)),
      (error: unknown) => {
        assert.ok(error instanceof MsgpackDecodeError, String(error));
        assert.match(error.message, message);
        return true;
      },
    );
  };

  test("a timestamp of the wrong size", rejects("d5ff0000", /timestamp of 2 bytes/));
  test("a timestamp with too many nanoseconds", rejects("c70cff3b9aca000000000000000000", /10\^9/));
  test("the never-used byte 0xc1", rejects("c1", /not a MessagePack type/));
  test("a malformed key is malformed, whatever its type", rejects("81d5ff000001", /timestamp/));
  test("text that is not UTF-8", rejects("a2c328", /UTF-8/));
  test("bytes after the value", rejects("c0c0", /after the value/));
  test("an empty input", rejects("", /truncated/));
  test("a 4-billion-item array in 5 bytes", rejects("ddffffffff", /truncated array/));
  test("a 4-billion-entry map in 5 bytes", rejects("dfffffffff", /truncated map/));
  test("a 4 GB string in 5 bytes", rejects("dbffffffff", /truncated value/));
  test("a 4 GB extension in 6 bytes", rejects("c9ffffffffff", /truncated value/));

  test("a nesting bomb stops at the depth limit without a stack overflow", () => {
    const bomb = Buffer.alloc(100_000, 0x91);
    assert.throws(() => decodeMsgpack(bomb), /nested deeper than 512/);
    assert.throws(() => decodeMsgpack(Buffer.alloc(11, 0x91), { maxDepth: 10 }), /deeper than 10/);
    assert.deepEqual(decodeMsgpack(Buffer.from([0x91, 0x91, 0x90]), { maxDepth: 3 }), [[[]]]);
  });

  test('a "__proto__" key is an own property and pollutes nothing', () => {
    const bytes = encodeMsgpack(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    const value = decodeMsgpack(bytes) as Record<string, unknown>;
    assert.ok(Object.hasOwn(value, "__proto__"));
    assert.deepEqual(value, JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
  });

  test("a repeated key keeps the last value, as a Python dict does", () => {
    assert.deepEqual(decodeMsgpack(fromHex("82a16101a16102")), { a: 2 });
  });

  test("every proper prefix of an encoding fails cleanly", () => {
    fc.assert(
      fc.property(decodedValue, (value) => {
        const bytes = encodeMsgpack(value);
        for (let end = 0; end < bytes.length; end++) {
          assert.throws(() => decodeMsgpack(bytes.subarray(0, end)), MsgpackDecodeError);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("random bytes decode or fail with MsgpackDecodeError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeMsgpack(bytes);
        } catch (error) {
          assert.ok(error instanceof MsgpackDecodeError, String(error));
        }
      }),
      { numRuns: 5000 },
    );
  });

  test("mutated encodings decode or fail with MsgpackDecodeError, nothing else", () => {
    fc.assert(
      fc.property(decodedValue, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, at, byte) => {
        const bytes = Buffer.from(encodeMsgpack(value));
        bytes[at % bytes.length] = byte;
        try {
          decodeMsgpack(bytes);
        } catch (error) {
          assert.ok(error instanceof MsgpackDecodeError, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("msgpack: round trips", () => {
  test("decode(encode(value)) gives the value back", () => {
    fc.assert(
      fc.property(decodedValue, (value) => {
        assert.deepEqual(decodeMsgpack(encodeMsgpack(value)), value);
      }),
      { numRuns: 500 },
    );
  });

  test("encode(decode(bytes)) gives the bytes back", () => {
    fc.assert(
      fc.property(decodedValue, (value) => {
        const bytes = encodeMsgpack(value);
        assert.equal(hex(encodeMsgpack(decodeMsgpack(bytes))), hex(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe("msgpack: Debian's python3-msgpack agrees", () => {
  const python = new PythonOracle(
    new URL("./msgpack_oracle.py", import.meta.url).pathname,
    "Debian's python3-msgpack",
  );
  after(() => python.close());

  const repack = (bytes: Uint8Array) =>
    python.request<{ hex?: string; error?: string }>({ op: "repack", hex: hex(bytes) });
  const pack = async (expr: string) =>
    fromHex((await python.request<{ hex: string }>({ op: "pack", expr })).hex);

  test("Python reads every encoding and writes back the same bytes", async () => {
    await fc.assert(
      fc.asyncProperty(decodedValue, async (value) => {
        const bytes = encodeMsgpack(value);
        assert.deepEqual(await repack(bytes), { hex: hex(bytes) });
      }),
      { numRuns: 300 },
    );
  });

  test("tessera reads what Python writes", async () => {
    const cases: [string, unknown][] = [
      [
        "{'user': 'ada', 'n': 1, 'f': 1.0, 'half': 0.5, 'neg': -40000}",
        { user: "ada", n: 1, f: 1, half: 0.5, neg: -40000 },
      ],
      [
        "{'big': 2**64 - 1, 'small': -2**63, 'safe': 2**53 - 1}",
        { big: 2n ** 64n - 1n, small: -(2n ** 63n), safe: 2 ** 53 - 1 },
      ],
      ["('a', ('b', 1))", ["a", ["b", 1]]],
      [
        "{'b': b'\\x00\\xff', 'u': 'héllo 🍪', 'none': None, 't': True}",
        { b: Buffer.from([0, 255]), u: "héllo 🍪", none: null, t: true },
      ],
      [
        "datetime(2024, 3, 26, 12, 0, 0, 123456, tzinfo=timezone.utc)",
        new Date("2024-03-26T12:00:00.123Z"),
      ],
      ["datetime(1960, 1, 1, tzinfo=timezone.utc)", new Date("1960-01-01T00:00:00Z")],
      ["datetime(2500, 1, 1, tzinfo=timezone.utc)", new Date("2500-01-01T00:00:00Z")],
      [
        "{'_flashes': [('message', 'Logged in')], 'list': list(range(20))}",
        { _flashes: [["message", "Logged in"]], list: Array.from({ length: 20 }, (_, i) => i) },
      ],
      ["'x' * 70000", "x".repeat(70000)],
      [
        "{str(i): i for i in range(70000)}",
        Object.fromEntries(Array.from({ length: 70000 }, (_, i) => [String(i), i])),
      ],
    ];
    for (const [expr, expected] of cases) {
      assert.deepEqual(decodeMsgpack(await pack(expr)), expected, expr);
    }
  });
  test("tessera reads the keys Python writes that are not text, and its extension types", async () => {
    const cases: [string, unknown][] = [
      [
        "{'cart': {42: 1, -7: 2, None: 3, True: 4, 1.5: 5, 2**64 - 1: 6}, 7: 'seven'}",
        {
          cart: { "42": 1, "-7": 2, null: 3, true: 4, "1.5": 5, "18446744073709551615": 6 },
          "7": "seven",
        },
      ],
      [
        "{'a': ExtType(5, b'xy'), (1, 2): 'tuple', b'k': 'bytes'}",
        {
          a: new MsgpackExtension(5, Buffer.from("xy")),
        },
      ],
    ];
    for (const [expr, expected] of cases) {
      assert.deepEqual(decodeMsgpack(await pack(expr)), expected, expr);
    }
  });

  test("a key that is not text reads as Python's json.dumps names it; the later of two same names wins", async () => {
    const double = (bits: bigint) => {
      const bytes = Buffer.alloc(9);
      bytes[0] = 0xcb;
      bytes.writeBigUInt64BE(bits, 1);
      return bytes;
    };
    const key = fc.oneof(
      fc.string({ maxLength: 4 }).map((text) => encodeMsgpack(text)),
      fc
        .constantFrom("1", "-1", "null", "true", "1.5", "1.0", "-0.0", "NaN", "1e+16")
        .map((text) => encodeMsgpack(text)),
      fc.maxSafeInteger().map((n) => encodeMsgpack(n)),
      fc.integer({ min: -300, max: 300 }).map((n) => encodeMsgpack(n)),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map((n) => encodeMsgpack(n)),
      fc.double().map((x) => encodeMsgpack(new FlaskFloat(x))),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(double),
      // Powers of two, where the float's neighbours are closer on one side
      fc
        .tuple(fc.boolean(), fc.integer({ min: 0, max: 2047 }))
        .map(([negative, exponent]) =>
          double(((negative ? 1n : 0n) << 63n) | (BigInt(exponent) << 52n)),
        ),
      fc.float().map((x) => {
        const bytes = Buffer.alloc(5);
        bytes[0] = 0xca;
        bytes.writeFloatBE(x, 1);
        return bytes;
      }),
      fc.constantFrom(null, true, false).map((value) => encodeMsgpack(value)),
      // Non-shortest integer forms, as any writer may use
      fc
        .constantFrom(
          "cc05",
          "cd0005",
          "ce00000005",
          "cf0000000000000005",
          "d005",
          "d3ffffffffffffffff",
        )
        .map(fromHex),
      // Keys JSON cannot hold
      fc.constantFrom("c40161", "920102", "d6ff00000000", "d40501").map(fromHex),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(key, { maxLength: 12 }), async (keys) => {
        const parts = [Buffer.from([0x80 | keys.length])];
        for (const [index, bytes] of keys.entries()) {
          parts.push(Buffer.from(bytes), Buffer.from(encodeMsgpack(index)));
        }
        const bytes = Buffer.concat(parts);
        const named = await python.request<{ data: Record<string, number> }>({
          op: "json-keys",
          hex: hex(bytes),
        });
        assert.deepEqual(decodeMsgpack(bytes), named.data);
      }),
      { numRuns: 500 },
    );
  });
});
