/**
 * MessagePack decoding for what Python writes (msgspec, msgpack-python), made for bytes from
 * a shared store that anyone could have written: every length is checked against the bytes that
 * are left before anything is allocated, nesting is bounded, text must be valid UTF-8, and any
 * malformed, truncated or unsupported input is a MsgpackDecodeError, never another exception.
 *
 * MessagePack → JavaScript:
 * - nil, bool, str, array → `null`, booleans, strings, arrays
 * - map → a plain object, its keys named as JSON (Python's `json.dumps`) names them: text as
 *   it is; an int as its digits (`{42: 1}` → `{ "42": 1 }`); a float as Python's repr (`"1.5"`,
 *   `"1.0"`, `"1e+16"`, `"NaN"`, `"Infinity"`); nil, true and false as `"null"`, `"true"`,
 *   `"false"`. A key JSON cannot hold (bytes, an array, a map, any extension) is left out, as
 *   `json.dumps(..., skipkeys=True)` leaves it out. When two keys get the same name, the later
 *   one wins, as with a repeated key. A key named `__proto__` becomes an own property, never
 *   the object's prototype
 * - int → a number, or a bigint beyond 2^53; float32 and float64 → a number. A Python float
 *   that is integral (`1.0`) reads as the number 1, as in the Flask cookie codec; write
 *   `new FlaskFloat(1)` to store a float again
 * - bin → a Buffer; the timestamp extension (-1) → a Date (to the millisecond)
 * - any other extension type → a MsgpackExtension holding its type and bytes, which the
 *   encoder writes back unchanged (tessera cannot know what it means)
 *
 * Leniency ends at what Python could have written: a timestamp of the wrong size, truncated
 * or trailing bytes, bad UTF-8 and the like are errors wherever they are, keys included.
 */

import { pythonFloat } from "../flask/tagged-json.ts";
import { MsgpackExtension } from "./extension.ts";

/** The bytes are not MessagePack that tessera can read; `offset` is where decoding stopped. */
export class MsgpackDecodeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = "MsgpackDecodeError";
    this.offset = offset;
  }
}

export interface MsgpackDecodeOptions {
  /** Arrays and maps nested deeper than this are refused. Default 512. */
  readonly maxDepth?: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const TWO_32 = 2 ** 32;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
/** The range of a JavaScript Date, in ms since the epoch. */
const DATE_LIMIT_MS = 8.64e15;

/** Decodes exactly one value that fills `bytes`; throws MsgpackDecodeError otherwise. */
export function decodeMsgpack(bytes: Uint8Array, options: MsgpackDecodeOptions = {}): unknown {
  const reader = new Reader(bytes, options.maxDepth ?? 512);
  const value = reader.value(0);
  reader.end();
  return value;
}

/** One top-level entry of a MessagePack map, as `decodeMsgpackEntries` finds it. */
export interface MsgpackMapEntry {
  /** The key's name as decodeMsgpack names it, or undefined for a key it leaves out. */
  readonly name: string | undefined;
  /** Where the key's bytes start. */
  readonly keyStart: number;
  /** Where the value's bytes start (the key's end). */
  readonly valueStart: number;
  /** Where the value's bytes end. */
  readonly end: number;
}

/**
 * The top-level entries of the map that fills `bytes`, in their stored order, repeated names
 * included, for a caller that rewrites some entries and copies the others byte for byte. Each
 * key and value is decoded once, so bytes decodeMsgpack refuses are refused here too; a value
 * that is not a map is a MsgpackDecodeError.
 */
export function decodeMsgpackEntries(
  bytes: Uint8Array,
  options: MsgpackDecodeOptions = {},
): MsgpackMapEntry[] {
  const reader = new Reader(bytes, options.maxDepth ?? 512);
  const entries = reader.entries();
  reader.end();
  return entries;
}

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #maxDepth: number;
  #offset = 0;

  constructor(bytes: Uint8Array, maxDepth: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#maxDepth = maxDepth;
  }

  end(): void {
    if (this.#offset !== this.#bytes.byteLength) {
      throw this.#error(`${this.#bytes.byteLength - this.#offset} bytes after the value`);
    }
  }

  entries(): MsgpackMapEntry[] {
    const type = this.#uint(1);
    let count: number;
    if (type >= 0x80 && type <= 0x8f) count = type & 0x0f;
    else if (type === 0xde) count = this.#uint(2);
    else if (type === 0xdf) count = this.#uint(4);
    else throw this.#error(`a map expected, found type 0x${type.toString(16)}`, -1);
    this.#enter(0);
    this.#need(count * 2, "map");
    const entries: MsgpackMapEntry[] = [];
    for (let index = 0; index < count; index++) {
      const keyStart = this.#offset;
      const name = this.#key(1);
      const valueStart = this.#offset;
      this.value(1);
      entries.push({ name, keyStart, valueStart, end: this.#offset });
    }
    return entries;
  }

  value(depth: number): unknown {
    const type = this.#uint(1);
    if (type < 0x80) return type;
    if (type >= 0xe0) return type - 0x100;
    if (type >= 0xa0 && type <= 0xbf) return this.#string(type & 0x1f);
    if (type >= 0x90 && type <= 0x9f) return this.#array(type & 0x0f, depth);
    if (type >= 0x80 && type <= 0x8f) return this.#map(type & 0x0f, depth);
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#binary(this.#uint(1));
      case 0xc5:
        return this.#binary(this.#uint(2));
      case 0xc6:
        return this.#binary(this.#uint(4));
      case 0xc7:
        return this.#extension(this.#uint(1));
      case 0xc8:
        return this.#extension(this.#uint(2));
      case 0xc9:
        return this.#extension(this.#uint(4));
      case 0xca:
        return this.#view.getFloat32(this.#take(4));
      case 0xcb:
        return this.#view.getFloat64(this.#take(8));
      case 0xcc:
        return this.#uint(1);
      case 0xcd:
        return this.#uint(2);
      case 0xce:
        return this.#uint(4);
      case 0xcf:
        return exact(this.#view.getBigUint64(this.#take(8)));
      case 0xd0:
        return this.#view.getInt8(this.#take(1));
      case 0xd1:
        return this.#view.getInt16(this.#take(2));
      case 0xd2:
        return this.#view.getInt32(this.#take(4));
      case 0xd3:
        return exact(this.#view.getBigInt64(this.#take(8)));
      case 0xd4:
        return this.#extension(1);
      case 0xd5:
        return this.#extension(2);
      case 0xd6:
        return this.#extension(4);
      case 0xd7:
        return this.#extension(8);
      case 0xd8:
        return this.#extension(16);
      case 0xd9:
        return this.#string(this.#uint(1));
      case 0xda:
        return this.#string(this.#uint(2));
      case 0xdb:
        return this.#string(this.#uint(4));
      case 0xdc:
        return this.#array(this.#uint(2), depth);
      case 0xdd:
        return this.#array(this.#uint(4), depth);
      case 0xde:
        return this.#map(this.#uint(2), depth);
      case 0xdf:
        return this.#map(this.#uint(4), depth);
      default:
        throw this.#error(`0x${type.toString(16)} is not a MessagePack type`, -1);
    }
  }

  #array(count: number, depth: number): unknown[] {
    // Each item takes at least one byte: a count beyond what is left is a lie, not a big array.
    this.#enter(depth);
    this.#need(count, "array");
    const items = new Array<unknown>(count);
    for (let index = 0; index < count; index++) items[index] = this.value(depth + 1);
    return items;
  }

  #map(count: number, depth: number): Record<string, unknown> {
    this.#enter(depth);
    this.#need(count * 2, "map");
    const result: Record<string, unknown> = {};
    for (let index = 0; index < count; index++) {
      const key = this.#key(depth + 1);
      const value = this.value(depth + 1);
      if (key === undefined) continue;
      // Assigning "__proto__" would set the prototype; defining it keeps it an ordinary key.
      if (key === "__proto__") {
        Object.defineProperty(result, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else result[key] = value;
    }
    return result;
  }

  /** A map key's name as JSON gives it (see the top of this file); undefined to leave it out. */
  #key(depth: number): string | undefined {
    const type = this.#bytes[this.#offset];
    const key = this.value(depth);
    switch (typeof key) {
      case "string":
        return key;
      case "number":
        return type === 0xca || type === 0xcb ? floatName(key) : String(key);
      case "bigint":
      case "boolean":
        return String(key);
      default:
        return key === null ? "null" : undefined;
    }
  }

  #string(size: number): string {
    const start = this.#take(size);
    try {
      return utf8.decode(this.#bytes.subarray(start, start + size));
    } catch {
      throw this.#error("text that is not valid UTF-8", -size);
    }
  }

  #binary(size: number): Buffer {
    const start = this.#take(size);
    return Buffer.from(this.#bytes.subarray(start, start + size));
  }

  #extension(size: number): Date | MsgpackExtension {
    const type = this.#view.getInt8(this.#take(1));
    const start = this.#take(size);
    if (type !== -1) {
      return new MsgpackExtension(type, Buffer.from(this.#bytes.subarray(start, start + size)));
    }
    let seconds: number;
    let nanoseconds: number;
    if (size === 4) {
      seconds = this.#view.getUint32(start);
      nanoseconds = 0;
    } else if (size === 8) {
      const high = this.#view.getUint32(start);
      nanoseconds = Math.floor(high / 4);
      seconds = (high % 4) * TWO_32 + this.#view.getUint32(start + 4);
    } else if (size === 12) {
      nanoseconds = this.#view.getUint32(start);
      const wide = this.#view.getBigInt64(start + 4);
      if (wide > MAX_SAFE || wide < MIN_SAFE) throw this.#error("a timestamp out of range", -size);
      seconds = Number(wide);
    } else {
      throw this.#error(`a timestamp of ${size} bytes (4, 8 or 12 expected)`, -size);
    }
    if (nanoseconds > 999_999_999) throw this.#error("a timestamp with over 10^9 ns", -size);
    const ms = seconds * 1000 + Math.floor(nanoseconds / 1_000_000);
    if (Math.abs(ms) > DATE_LIMIT_MS) throw this.#error("a timestamp out of range", -size);
    return new Date(ms);
  }

  #enter(depth: number): void {
    if (depth >= this.#maxDepth) {
      throw this.#error(`arrays and maps nested deeper than ${this.#maxDepth} levels`);
    }
  }

  /** Reads an unsigned big-endian integer of 1, 2 or 4 bytes. */
  #uint(size: 1 | 2 | 4): number {
    const at = this.#take(size);
    if (size === 1) return this.#bytes[at] as number;
    return size === 2 ? this.#view.getUint16(at) : this.#view.getUint32(at);
  }

  /** Claims the next `size` bytes and returns where they start. */
  #take(size: number): number {
    this.#need(size, "value");
    const at = this.#offset;
    this.#offset += size;
    return at;
  }

  #need(size: number, what: string): void {
    const left = this.#bytes.byteLength - this.#offset;
    if (size > left) {
      throw this.#error(`truncated ${what}: ${size} bytes needed, ${left} left`);
    }
  }

  #error(message: string, adjust = 0): MsgpackDecodeError {
    return new MsgpackDecodeError(message, Math.max(0, this.#offset + adjust));
  }
}

/** A float key as Python's json.dumps writes it: float.__repr__, or NaN, Infinity, -Infinity. */
function floatName(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  return pythonFloat(value);
}

/** A 64-bit integer as a number when exact, else as a bigint. */
function exact(value: bigint): number | bigint {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
}
