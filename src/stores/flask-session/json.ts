/**
 * Session values as msgspec's JSON encoder writes them (Flask-Session with
 * `SESSION_SERIALIZATION_FORMAT = "json"`), for the same values the MessagePack encoder takes:
 * safe integers and bigints (64-bit) as integers, other numbers and FlaskFloat as floats
 * (`1.0`, `1e+16`; NaN and ±Infinity as null, as msgspec writes them), bytes as base64 text,
 * dates as RFC 3339 text, tuples as arrays, UUID and Markup as text, and plain objects in their
 * key order (an undefined property is left out, undefined in an array is null).
 */

import {
  FlaskFloat,
  FlaskTuple,
  FlaskUUID,
  Markup,
  pythonFloat,
} from "../../codecs/flask/tagged-json.ts";
import { MAX_NESTING } from "../../codecs/nesting.ts";
import { SessionValueError } from "../../errors.ts";

/** The nesting every tessera format shares (see codecs/nesting.ts). */
const MAX_DEPTH = MAX_NESTING;
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const MIN_DATE_MS = -62135596800000;
const MAX_DATE_MS = 253402300799999;
const INTEGER = /^-?\d+$/;

/** The JSON text of `value`; a SessionValueError naming where it is for a value that cannot be stored. */
export function encodeFlaskJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, [], new Set(), 0);
  return out.join("");
}

/**
 * Parses a stored JSON text; integers beyond 2^53 come back as bigints. Throws on anything that
 * is not JSON (the caller reads that as no session).
 */
export function decodeFlaskJson(text: string): unknown {
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) => {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      const source = context?.source;
      if (source !== undefined && INTEGER.test(source)) return BigInt(source);
    }
    return value;
  });
}

function write(
  value: unknown,
  out: string[],
  path: (string | number)[],
  open: Set<object>,
  depth: number,
): void {
  switch (typeof value) {
    case "string":
      out.push(quote(value, path));
      return;
    case "number":
      out.push(number(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "bigint":
      if (value < INT64_MIN || value > UINT64_MAX) {
        throw unstorable(`the integer ${value}, outside the 64-bit range msgspec can store`, path);
      }
      out.push(value.toString());
      return;
    case "undefined":
      out.push("null");
      return;
    case "object":
      break;
    default:
      throw unstorable(`a ${typeof value}`, path);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (value instanceof Uint8Array) {
    out.push(
      `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")}"`,
    );
    return;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!(ms >= MIN_DATE_MS && ms <= MAX_DATE_MS)) {
      throw unstorable("a date that is invalid or outside Python's years 1 to 9999", path);
    }
    out.push(`"${value.toISOString()}"`);
    return;
  }
  if (value instanceof FlaskFloat) {
    out.push(Number.isFinite(value.value) ? pythonFloat(value.value) : "null");
    return;
  }
  if (value instanceof FlaskUUID) {
    out.push(`"${value.toString()}"`);
    return;
  }
  if (value instanceof Markup) {
    out.push(quote(value.html, path));
    return;
  }
  const items = value instanceof FlaskTuple ? value.items : Array.isArray(value) ? value : null;
  if (items === null && !isPlainObject(value)) {
    throw unstorable(`a ${value.constructor?.name ?? "object"}`, path);
  }
  if (depth >= MAX_DEPTH) throw unstorable(`nesting deeper than ${MAX_DEPTH} levels`, path);
  if (open.has(value)) throw unstorable("a circular reference", path);
  open.add(value);
  if (items !== null) {
    out.push("[");
    for (let index = 0; index < items.length; index++) {
      if (index > 0) out.push(",");
      path.push(index);
      write(items[index], out, path, open, depth + 1);
      path.pop();
    }
    out.push("]");
  } else {
    const record = value as Record<string, unknown>;
    out.push("{");
    let first = true;
    for (const key of Object.keys(record)) {
      if (record[key] === undefined) continue;
      if (!first) out.push(",");
      first = false;
      path.push(key);
      out.push(quote(key, path), ":");
      write(record[key], out, path, open, depth + 1);
      path.pop();
    }
    out.push("}");
  }
  open.delete(value);
}

/** A number as Python reads it back: an int when a safe integer, else a float (null if not finite). */
function number(value: number): string {
  if (Number.isSafeInteger(value)) return Object.is(value, -0) ? "0" : String(value);
  return Number.isFinite(value) ? pythonFloat(value) : "null";
}

function quote(text: string, path: (string | number)[]): string {
  if (!text.isWellFormed())
    throw unstorable("text with a lone surrogate (not valid Unicode)", path);
  return JSON.stringify(text);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function unstorable(what: string, path: (string | number)[]): SessionValueError {
  const where = path
    .map((part) => (typeof part === "number" ? `[${part}]` : `[${JSON.stringify(part)}]`))
    .join("");
  return new SessionValueError(
    `${what} at value${where} cannot be stored as JSON for Flask-Session: use null, booleans, numbers, bigints (64-bit), strings, Uint8Array, Date, arrays and plain objects`,
  );
}

/** One top-level entry of a JSON object, as the text holds it. */
export interface JsonEntry {
  /** The key, parsed. */
  readonly name: string;
  /** The key's text, quotes and escapes as stored. */
  readonly key: string;
  /** The value's text as stored, without the white space around it. */
  readonly value: string;
}

/**
 * The top-level entries of a JSON object text, in their stored order, repeated keys included,
 * for a caller that rewrites some entries and copies the others as they are; undefined when
 * the text is not a JSON object. The text is parsed first, so the scan that follows only has
 * to find where each key and value ends in JSON known to be valid.
 */
export function jsonObjectEntries(text: string): JsonEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = decodeFlaskJson(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const entries: JsonEntry[] = [];
  let at = skipSpace(text, skipSpace(text, 0) + 1);
  if (text.charCodeAt(at) === CLOSE_BRACE) return entries;
  for (;;) {
    const keyEnd = stringEnd(text, at);
    const key = text.slice(at, keyEnd);
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const valueEnd = valueEndOf(text, valueStart);
    entries.push({ name: JSON.parse(key) as string, key, value: text.slice(valueStart, valueEnd) });
    at = skipSpace(text, valueEnd);
    if (text.charCodeAt(at) === CLOSE_BRACE) return entries;
    at = skipSpace(text, at + 1);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function skipSpace(text: string, at: number): number {
  while (isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** Where the string that opens at `at` (its quote) ends: just after its closing quote. */
function stringEnd(text: string, at: number): number {
  let index = at + 1;
  for (;;) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) return index + 1;
    index += code === BACKSLASH ? 2 : 1;
  }
}

/** Where the value that starts at `at` ends. */
function valueEndOf(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let index = at;
    for (;;) {
      const code = text.charCodeAt(index);
      if (code === QUOTE) {
        index = stringEnd(text, index);
        continue;
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return index + 1;
      }
      index++;
    }
  }
  // A number, true, false or null: up to the next separator.
  let index = at;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break;
    index++;
  }
  return index;
}
