/**
 * MessagePack encoding that writes what Python writes for the same value (msgspec's
 * `msgpack.Encoder`, and msgpack-python's `packb` with its defaults): the shortest integer
 * form, float64 for every float, `str` for text and `bin` for bytes, maps with string keys,
 * `datetime` as the timestamp extension (type -1), and other extensions in their shortest form
 * (fixext for 1, 2, 4, 8 and 16 bytes, else ext 8, 16 or 32).
 *
 * JavaScript → Python:
 * - `null`, booleans, strings, arrays, plain objects → `None`, `bool`, `str`, `list`, `dict`
 * - safe integers and `bigint` → `int` (a bigint must fit in int64 or uint64, as in msgspec);
 *   other numbers (fractions, NaN, ±Infinity, integers beyond 2^53) and `FlaskFloat` → `float`
 * - `Uint8Array` (a Buffer too) → `bytes`; `Date` → a UTC `datetime` (years 1 to 9999)
 * - `MsgpackExtension` (what the decoder gives for an extension it does not read) → the same
 *   extension, `msgpack.ExtType` / `msgspec.msgpack.Ext` in Python
 * - `FlaskTuple` → a list (msgspec writes tuples as arrays); `FlaskUUID` and `Markup` → their
 *   text, as msgspec writes a UUID and a str subclass
 * - As JSON.stringify: an object property whose value is undefined is left out, and undefined
 *   in an array (or a hole) is nil. Anything else (functions, symbols, Map, Set, class
 *   instances, cycles, text with lone surrogates) is a SessionValueError naming where it was.
 */
import { SessionValueError } from "../../errors.ts";
import { FlaskFloat, FlaskTuple, FlaskUUID, Markup } from "../flask/tagged-json.ts";
import { MsgpackExtension } from "./extension.ts";

/** Deeper nesting than this is refused (msgspec's decoder stops near Python's recursion limit). */
const MAX_DEPTH = 512;
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const TWO_32 = 2 ** 32;
/** A datetime's years, 1 to 9999, in ms since the epoch. */
const MIN_DATE_MS = -62135596800000;
const MAX_DATE_MS = 253402300799999;
/** The fixext type byte for each payload size that has one. */
const FIXEXT = new Map([
  [1, 0xd4],
  [2, 0xd5],
  [4, 0xd6],
  [8, 0xd7],
  [16, 0xd8],
]);

/** The MessagePack bytes of `value`. Throws a SessionValueError for a value Python could not read. */
export function encodeMsgpack(value: unknown): Uint8Array {
  const writer = new Writer();
  writer.value(value, 0);
  return writer.result();
}

class Writer {
  #buffer = Buffer.allocUnsafe(256);
  #view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
  #length = 0;
  /** Keys and indexes from the top down to the value being written, for error messages. */
  readonly #path: (string | number)[] = [];
  /** Objects being written, to refuse cycles. */
  readonly #open = new Set<object>();

  result(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case "string":
        this.#string(value);
        return;
      case "number":
        if (Number.isSafeInteger(value)) this.#integer(value);
        else this.#float(value);
        return;
      case "boolean":
        this.#byte(value ? 0xc3 : 0xc2);
        return;
      case "bigint":
        this.#bigint(value);
        return;
      case "undefined":
        this.#byte(0xc0);
        return;
      case "object":
        if (value === null) this.#byte(0xc0);
        else this.#object(value, depth);
        return;
      default:
        throw this.#unstorable(`a ${typeof value}`);
    }
  }

  #object(value: object, depth: number): void {
    if (value instanceof Uint8Array) {
      this.#bytes(value);
      return;
    }
    if (value instanceof Date) {
      this.#date(value);
      return;
    }
    if (value instanceof MsgpackExtension) {
      this.#extension(value);
      return;
    }
    if (value instanceof FlaskFloat) {
      if (typeof value.value !== "number") throw this.#unstorable("a FlaskFloat without a number");
      this.#float(value.value);
      return;
    }
    if (value instanceof FlaskUUID) {
      this.#string(value.toString());
      return;
    }
    if (value instanceof Markup) {
      this.#string(value.html);
      return;
    }
    const items = value instanceof FlaskTuple ? value.items : Array.isArray(value) ? value : null;
    if (items === null && !isPlainObject(value)) {
      const name = value.constructor?.name ?? "object";
      throw this.#unstorable(`a ${name}`);
    }
    if (depth >= MAX_DEPTH) throw this.#unstorable(`nesting deeper than ${MAX_DEPTH} levels`);
    if (this.#open.has(value)) throw this.#unstorable("a circular reference");
    this.#open.add(value);
    if (items !== null) {
      this.#header(items.length, 0x90, 0xdc);
      for (let index = 0; index < items.length; index++) {
        this.#path.push(index);
        this.value(items[index], depth + 1);
        this.#path.pop();
      }
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).filter((key) => record[key] !== undefined);
      this.#header(keys.length, 0x80, 0xde);
      for (const key of keys) {
        this.#path.push(key);
        this.#string(key);
        this.value(record[key], depth + 1);
        this.#path.pop();
      }
    }
    this.#open.delete(value);
  }

  /** An array or map header: fix form below 16 entries, else 16- or 32-bit count. */
  #header(count: number, fix: number, wide16: number): void {
    if (count < 16) this.#byte(fix | count);
    else if (count < 0x10000) {
      this.#reserve(3);
      this.#buffer[this.#length] = wide16;
      this.#view.setUint16(this.#length + 1, count);
      this.#length += 3;
    } else {
      this.#reserve(5);
      this.#buffer[this.#length] = wide16 + 1;
      this.#view.setUint32(this.#length + 1, count);
      this.#length += 5;
    }
  }

  #string(text: string): void {
    if (!text.isWellFormed()) {
      throw this.#unstorable("text with a lone surrogate (not valid Unicode)");
    }
    const size = Buffer.byteLength(text, "utf8");
    if (size < 32) {
      this.#reserve(1 + size);
      this.#buffer[this.#length++] = 0xa0 | size;
    } else if (size < 0x100) {
      this.#reserve(2 + size);
      this.#buffer[this.#length++] = 0xd9;
      this.#buffer[this.#length++] = size;
    } else if (size < 0x10000) {
      this.#reserve(3 + size);
      this.#buffer[this.#length] = 0xda;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#reserve(5 + size);
      this.#buffer[this.#length] = 0xdb;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    this.#length += this.#buffer.write(text, this.#length, size, "utf8");
  }

  #bytes(bytes: Uint8Array): void {
    const size = bytes.byteLength;
    if (size < 0x100) {
      this.#reserve(2 + size);
      this.#buffer[this.#length++] = 0xc4;
      this.#buffer[this.#length++] = size;
    } else if (size < 0x10000) {
      this.#reserve(3 + size);
      this.#buffer[this.#length] = 0xc5;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#reserve(5 + size);
      this.#buffer[this.#length] = 0xc6;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length += size;
  }

  /** The shortest form, as msgspec and msgpack-python: uint for ≥ 0, int for < 0. */
  #integer(value: number): void {
    if (value >= 0) {
      if (value < 0x80) this.#byte(value);
      else if (value < 0x100) this.#fixed(0xcc, 1, () => this.#view.setUint8(this.#length, value));
      else if (value < 0x10000) {
        this.#fixed(0xcd, 2, () => this.#view.setUint16(this.#length, value));
      } else if (value < TWO_32) {
        this.#fixed(0xce, 4, () => this.#view.setUint32(this.#length, value));
      } else this.#fixed(0xcf, 8, () => this.#view.setBigUint64(this.#length, BigInt(value)));
    } else if (value >= -32) this.#byte(value & 0xff);
    else if (value >= -0x80) this.#fixed(0xd0, 1, () => this.#view.setInt8(this.#length, value));
    else if (value >= -0x8000) this.#fixed(0xd1, 2, () => this.#view.setInt16(this.#length, value));
    else if (value >= -0x80000000) {
      this.#fixed(0xd2, 4, () => this.#view.setInt32(this.#length, value));
    } else this.#fixed(0xd3, 8, () => this.#view.setBigInt64(this.#length, BigInt(value)));
  }

  #bigint(value: bigint): void {
    if (value < INT64_MIN || value > UINT64_MAX) {
      throw this.#unstorable(
        `the integer ${value}, outside the 64-bit range Python's msgspec can store`,
      );
    }
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.#integer(Number(value));
    } else if (value > 0n) this.#fixed(0xcf, 8, () => this.#view.setBigUint64(this.#length, value));
    else this.#fixed(0xd3, 8, () => this.#view.setBigInt64(this.#length, value));
  }

  #float(value: number): void {
    this.#fixed(0xcb, 8, () => this.#view.setFloat64(this.#length, value));
  }

  /**
   * The timestamp extension in its shortest form, as msgspec and msgpack-python write it:
   * 32-bit seconds when whole and in range, 64-bit (30-bit ns, 34-bit s) when non-negative and
   * below 2^34 s, else 96-bit (32-bit ns, signed 64-bit s).
   */
  #date(date: Date): void {
    const ms = date.getTime();
    if (!(ms >= MIN_DATE_MS && ms <= MAX_DATE_MS)) {
      throw this.#unstorable("a date that is invalid or outside Python's years 1 to 9999");
    }
    const seconds = Math.floor(ms / 1000);
    const nanoseconds = (ms - seconds * 1000) * 1_000_000;
    if (nanoseconds === 0 && seconds >= 0 && seconds < TWO_32) {
      this.#reserve(6);
      this.#buffer[this.#length] = 0xd6;
      this.#view.setInt8(this.#length + 1, -1);
      this.#view.setUint32(this.#length + 2, seconds);
      this.#length += 6;
    } else if (seconds >= 0 && seconds < 2 ** 34) {
      this.#reserve(10);
      this.#buffer[this.#length] = 0xd7;
      this.#view.setInt8(this.#length + 1, -1);
      this.#view.setUint32(this.#length + 2, nanoseconds * 4 + Math.floor(seconds / TWO_32));
      this.#view.setUint32(this.#length + 6, seconds % TWO_32);
      this.#length += 10;
    } else {
      this.#reserve(15);
      this.#buffer[this.#length] = 0xc7;
      this.#buffer[this.#length + 1] = 12;
      this.#view.setInt8(this.#length + 2, -1);
      this.#view.setUint32(this.#length + 3, nanoseconds);
      this.#view.setBigInt64(this.#length + 7, BigInt(seconds));
      this.#length += 15;
    }
  }

  /** An extension as msgpack-python and msgspec write one: fixext when the size has one. */
  #extension(extension: MsgpackExtension): void {
    const { type, data } = extension;
    if (type === -1) {
      throw this.#unstorable("a MsgpackExtension of type -1 (the timestamp: use a Date)");
    }
    if (!Number.isInteger(type) || type < -128 || type > 127) {
      throw this.#unstorable(`a MsgpackExtension of type ${type} (-128 to 127 expected)`);
    }
    if (!(data instanceof Uint8Array)) {
      throw this.#unstorable("a MsgpackExtension with data that is not a Uint8Array");
    }
    const size = data.byteLength;
    const fixed = FIXEXT.get(size);
    if (fixed !== undefined) {
      this.#reserve(2 + size);
      this.#buffer[this.#length++] = fixed;
    } else if (size < 0x100) {
      this.#reserve(3 + size);
      this.#buffer[this.#length++] = 0xc7;
      this.#buffer[this.#length++] = size;
    } else if (size < 0x10000) {
      this.#reserve(4 + size);
      this.#buffer[this.#length] = 0xc8;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#reserve(6 + size);
      this.#buffer[this.#length] = 0xc9;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    this.#view.setInt8(this.#length++, type);
    this.#buffer.set(data, this.#length);
    this.#length += size;
  }

  #byte(byte: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = byte;
  }

  /** A type byte followed by `size` bytes that `write` puts at `this.#length`. */
  #fixed(type: number, size: number, write: () => void): void {
    this.#reserve(1 + size);
    this.#buffer[this.#length++] = type;
    write();
    this.#length += size;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.byteLength) return;
    let capacity = this.#buffer.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  #unstorable(what: string): SessionValueError {
    const where = this.#path
      .map((part) => (typeof part === "number" ? `[${part}]` : `[${JSON.stringify(part)}]`))
      .join("");
    return new SessionValueError(
      `${what} at value${where} cannot be stored as MessagePack for Python: use null, booleans, numbers, bigints (64-bit), strings, Uint8Array, Date, MsgpackExtension, arrays and plain objects`,
    );
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
