import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import {
  decodeFlaskSession,
  encodeFlaskSession,
  FlaskFloat,
  type FlaskSessionData,
  FlaskTuple,
  FlaskUUID,
  Markup,
} from "../../src/codecs/flask/index.ts";
import { pythonFloat } from "../../src/codecs/flask/tagged-json.ts";
import { flaskData } from "./flask-arbitraries.ts";
import { FlaskOracle } from "./flask-oracle.ts";

const flask = new FlaskOracle();
after(() => flask.close());

const SECRET = "flask-interop-test-secret-0123456789";
const OLD = "flask-interop-test-older-secret-012345";
const T = 1_700_000_000;
const at = (seconds: number) => () => seconds * 1000;

/** Every tagged type, tag-like keys, nesting, non-ASCII (keys too), floats, a big int. */
const TAGGED_PY = String.raw`{
  "tuple": (1, "a", (2,), ()),
  "bytes": b"\x00\xffhi",
  "when": datetime(2024, 2, 29, 13, 5, 9, tzinfo=timezone.utc),
  "id": UUID("12345678-1234-5678-1234-567812345678"),
  "html": Markup("<b>caf\u00e9</b>"),
  "tagkey": {" t": [1, 2]},
  "dikey": {" di": (3,)},
  "nested": {"list": [1, {"deep": (True, None)}], "empty": {}, "emptylist": []},
  "text": "h\u00e9llo \u2603 \U0001F600 \x7f\x01\n\t\"\\ /",
  "\u00e9": 1, "z": 2, "\uffff": 3, "\U0001F600": 4, "A": 5,
  "floats": [1.0, 1.5, -0.0, 0.0, 1e16, 1e15, 0.0001, 1e-05, 123456789.123, 2.5e-300, 1.7976931348623157e308, -3.25, 0.1],
  "ints": [0, -42, 9007199254740993, 2**64],
  "_permanent": True,
}`;

/** The same data as tessera writes it (FlaskFloat where Python has an integral float). */
const TAGGED_TS: FlaskSessionData = {
  tuple: new FlaskTuple([1, "a", new FlaskTuple([2]), new FlaskTuple([])]),
  bytes: Buffer.from([0, 0xff, 0x68, 0x69]),
  when: new Date(Date.UTC(2024, 1, 29, 13, 5, 9)),
  id: new FlaskUUID("12345678-1234-5678-1234-567812345678"),
  html: new Markup("<b>café</b>"),
  tagkey: { " t": [1, 2] },
  dikey: { " di": new FlaskTuple([3]) },
  nested: { list: [1, { deep: new FlaskTuple([true, null]) }], empty: {}, emptylist: [] },
  text: 'héllo ☃ 😀 \x7f\x01\n\t"\\ /',
  é: 1,
  z: 2,
  "\uffff": 3,
  "😀": 4,
  A: 5,
  floats: [
    new FlaskFloat(1),
    1.5,
    new FlaskFloat(-0),
    new FlaskFloat(0),
    1e16,
    new FlaskFloat(1e15),
    0.0001,
    1e-5,
    123456789.123,
    2.5e-300,
    1.7976931348623157e308,
    -3.25,
    0.1,
  ],
  ints: [0, -42, 9007199254740993n, 2n ** 64n],
  _permanent: true,
};

/** What tessera reads back: every float Python wrote that is integral is a FlaskFloat. */
const TAGGED_DECODED = {
  ...TAGGED_TS,
  floats: [
    new FlaskFloat(1),
    1.5,
    new FlaskFloat(-0),
    new FlaskFloat(0),
    new FlaskFloat(1e16),
    new FlaskFloat(1e15),
    0.0001,
    1e-5,
    123456789.123,
    2.5e-300,
    new FlaskFloat(1.7976931348623157e308),
    -3.25,
    0.1,
  ],
};

/** Every tag, one per cookie, short enough that zlib does not pay: whole cookies compare. */
const SMALL_CASES: ReadonlyArray<readonly [string, FlaskSessionData]> = [
  [`{"t": (1, "a"), "_permanent": True}`, { t: new FlaskTuple([1, "a"]), _permanent: true }],
  [String.raw`{"b": b"\x00\xff"}`, { b: new Uint8Array([0, 255]) }],
  [`{"d": datetime(2001, 9, 9, 1, 46, 40)}`, { d: new Date(1_000_000_000_000) }],
  [
    `{"u": UUID("0f1e2d3c4b5a69788796a5b4c3d2e1f0")}`,
    { u: new FlaskUUID("0f1e2d3c4b5a69788796a5b4c3d2e1f0") },
  ],
  [String.raw`{"m": Markup("\u00e9<")}`, { m: new Markup("é<") }],
  [`{"k": {" t": 1}}`, { k: { " t": 1 } }],
  [`{"f": [1.0, 1e16, -0.0, 0.5]}`, { f: [new FlaskFloat(1), 1e16, new FlaskFloat(-0), 0.5] }],
  [String.raw`{"s": "\U0001F600\uffff", "\u00e9": 1, "z": 2}`, { s: "😀\uffff", é: 1, z: 2 }],
];

const CART_PY = `{"_permanent": True, "cart": [{"id": i, "name": "item %d" % i, "price": i / 4} for i in range(100)]}`;
const CART_TS: FlaskSessionData = {
  _permanent: true,
  cart: Array.from({ length: 100 }, (_, i) => ({
    id: i,
    name: `item ${i}`,
    price: i % 4 === 0 ? new FlaskFloat(i / 4) : i / 4,
  })),
};

describe("Flask cookie sessions against the real Flask 2.2", () => {
  test("a cookie Flask makes with every tagged type decodes to the expected values", async () => {
    const cookie = await flask.dumps(TAGGED_PY, SECRET, T);
    const decoded = decodeFlaskSession(cookie, {
      secrets: SECRET,
      maxAgeSeconds: 31 * 86400,
      now: at(T),
    });
    assert.ok(decoded);
    assert.deepStrictEqual(decoded.data, TAGGED_DECODED);
    assert.equal(decoded.timestamp, T);
    assert.equal(decoded.rotated, false);
  });

  test("tessera's cookie is byte-identical to Flask's for the same data and second", async () => {
    for (const [python, data] of SMALL_CASES) {
      const small = encodeFlaskSession(data, { secrets: SECRET, now: at(T) });
      assert.ok(!small.startsWith("."), `${python} is meant to stay uncompressed`);
      assert.equal(small, await flask.dumps(python, SECRET, T), python);
    }
    // The big case is compressed, and compressed as Python's zlib does: the same bytes.
    const ours = encodeFlaskSession(TAGGED_TS, { secrets: SECRET, now: at(T) });
    const theirs = await flask.dumps(TAGGED_PY, SECRET, T);
    assert.ok(ours.startsWith(".") && theirs.startsWith("."));
    assert.equal(ours, theirs);
    assert.equal(
      encodeFlaskSession({}, { secrets: SECRET, now: at(T) }),
      await flask.dumps("{}", SECRET, T),
    );
  });

  test("Flask accepts tessera's cookie and loads the same data, types included", async () => {
    const cookie = encodeFlaskSession(TAGGED_TS, { secrets: SECRET, now: at(T) });
    const loaded = await flask.loads({
      cookie,
      secret: SECRET,
      max_age: 100,
      now: T + 5,
      expect: TAGGED_PY,
    });
    assert.deepEqual(loaded.ok && loaded.same, true, JSON.stringify(loaded));
  });

  test("compressed (large repetitive data, leading '.'): both ways, and the same JSON", async () => {
    const ours = encodeFlaskSession(CART_TS, { secrets: SECRET, now: at(T) });
    const theirs = await flask.dumps(CART_PY, SECRET, T);
    assert.ok(ours.startsWith(".") && theirs.startsWith("."));
    assert.equal(ours, theirs, "compressed by tessera as by Python's zlib: the same cookie");
    const loaded = await flask.loads({
      cookie: ours,
      secret: SECRET,
      max_age: 100,
      now: T,
      expect: CART_PY,
    });
    assert.deepEqual(loaded.ok && loaded.same, true, JSON.stringify(loaded));
    const decoded = decodeFlaskSession(theirs, { secrets: SECRET, maxAgeSeconds: 100, now: at(T) });
    assert.deepStrictEqual(decoded?.data, CART_TS, "prices 0.0, 1.0, … stay floats");
  });

  test("compressed cookies of every size are Flask's own, byte for byte, and Flask reads them", async () => {
    for (const items of [2, 5, 10, 20, 40, 60]) {
      const data = {
        cart: Array.from({ length: items }, (_, i) => ({ id: i, name: `item ${i}` })),
      };
      const cookie = encodeFlaskSession(data, { secrets: SECRET, now: at(T) });
      assert.ok(cookie.startsWith("."), `${items} items compress`);
      const python = `{"cart": [{"id": i, "name": "item %d" % i} for i in range(${items})]}`;
      assert.equal(cookie, await flask.dumps(python, SECRET, T), `${items} items`);
      const loaded = await flask.loads({
        cookie,
        secret: SECRET,
        max_age: 100,
        now: T,
        expect: python,
      });
      assert.deepEqual(loaded.ok && loaded.same, true, `${items} items: ${JSON.stringify(loaded)}`);
    }
  });

  test("compression only when it saves at least 2 bytes, as itsdangerous decides", async () => {
    for (let length = 0; length < 80; length++) {
      const value = "ab".repeat(length);
      const ours = encodeFlaskSession({ v: value }, { secrets: SECRET, now: at(T) });
      const theirs = await flask.dumps(JSON.stringify({ v: value }), SECRET, T);
      assert.equal(ours, theirs, `length ${length}`);
    }
  });

  test("rotation: the newest signs, older keys verify (itsdangerous lists are oldest first)", async () => {
    const ours = encodeFlaskSession({ user: "ada" }, { secrets: [SECRET, OLD], now: at(T) });
    // tessera's [newest, older] is itsdangerous's [older, newest]: the same cookie.
    assert.equal(ours, await flask.dumps(`{"user": "ada"}`, [OLD, SECRET], T));
    assert.equal(ours, await flask.dumps(`{"user": "ada"}`, SECRET, T));
    assert.equal((await flask.loads({ cookie: ours, secret: [OLD, SECRET] })).ok, true);
    assert.equal((await flask.loads({ cookie: ours, secret: SECRET })).ok, true);
    assert.deepEqual(await flask.loads({ cookie: ours, secret: OLD }), {
      ok: false,
      error: "BadTimeSignature",
    });

    // A Flask 2.2 app still on the old SECRET_KEY: tessera verifies with the fallback.
    const old = await flask.dumps(`{"user": "ada"}`, OLD, T);
    const decoded = decodeFlaskSession(old, {
      secrets: [SECRET, OLD],
      maxAgeSeconds: 60,
      now: at(T),
    });
    assert.deepStrictEqual(decoded, { data: { user: "ada" }, timestamp: T, rotated: true });
    assert.equal(
      decodeFlaskSession(old, { secrets: SECRET, maxAgeSeconds: 60, now: at(T) }),
      undefined,
    );
  });

  test("max age: valid for 0..max_age seconds on both sides; older or future cookies fail", async () => {
    const ours = encodeFlaskSession({ a: 1 }, { secrets: SECRET, now: at(T) });
    const theirs = await flask.dumps(`{"a": 1}`, SECRET, T);
    for (const [now, valid] of [
      [T, true],
      [T + 100, true],
      [T + 101, false],
      [T - 1, false],
    ] as const) {
      const loaded = await flask.loads({ cookie: ours, secret: SECRET, max_age: 100, now });
      assert.deepEqual(
        loaded.ok ? "ok" : loaded.error,
        valid ? "ok" : "SignatureExpired",
        `now ${now}`,
      );
      const decoded = decodeFlaskSession(theirs, {
        secrets: SECRET,
        maxAgeSeconds: 100,
        now: at(now),
      });
      assert.equal(decoded !== undefined, valid, `now ${now}`);
    }
  });

  test("changing any byte of a Flask cookie gives undefined (every position, every ASCII byte)", async () => {
    const cookies = [
      await flask.dumps(TAGGED_PY, SECRET, T),
      await flask.dumps(CART_PY, SECRET, T),
    ];
    const options = { secrets: SECRET, maxAgeSeconds: 100, now: at(T) };
    const replacements = [
      ...Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
      "é",
      "😀",
    ];
    for (const cookie of cookies) {
      assert.ok(decodeFlaskSession(cookie, options));
      for (let index = 0; index < cookie.length; index++) {
        const before = cookie.slice(0, index);
        const rest = cookie.slice(index + 1);
        assert.equal(decodeFlaskSession(before + rest, options), undefined, `deleted ${index}`);
        for (const replacement of replacements) {
          if (replacement === cookie[index]) continue;
          const changed = before + replacement + rest;
          assert.equal(
            decodeFlaskSession(changed, options),
            undefined,
            `${index} → ${replacement}`,
          );
        }
      }
      for (let length = 0; length < cookie.length; length++) {
        assert.equal(decodeFlaskSession(cookie.slice(0, length), options), undefined);
      }
    }
  });

  test("property: Flask re-dumps arbitrary tessera data to the same cookie", async () => {
    await fc.assert(
      fc.asyncProperty(flaskData, async (data) => {
        const ours = encodeFlaskSession(data, { secrets: SECRET, now: at(T) });
        const theirs = await flask.redump(ours, SECRET, T);
        // Compressed or not: tessera deflates as Python's zlib does.
        assert.equal(ours, theirs);
      }),
      { numRuns: 300 },
    );
  });

  test("property: floats are spelt as Python's repr", async () => {
    const doubles = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
      minLength: 1,
      maxLength: 50,
    });
    const fixed = [
      1, -0, 0, 1e16, 1e15, 9999999999999998, 1e-4, 1e-5, 5e-324, 1.7976931348623157e308, 0.1,
      123.456e20,
    ];
    assert.deepEqual(
      fixed.map((value) => pythonFloat(value)),
      await flask.floatRepr(fixed),
    );
    await fc.assert(
      fc.asyncProperty(doubles, async (values) => {
        assert.deepEqual(
          values.map((value) => pythonFloat(value)),
          await flask.floatRepr(values),
        );
      }),
      { numRuns: 100 },
    );
  });
});
