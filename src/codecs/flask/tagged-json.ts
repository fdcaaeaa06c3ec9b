/**
 * Flask's `TaggedJSONSerializer` (flask/json/tag.py) with the JSON spelling Flask's default JSON
 * provider gives it: `json.dumps(tagged, separators=(",", ":"), sort_keys=True,
 * ensure_ascii=True)`. The output is byte-identical to Flask's for the same value.
 *
 * JavaScript ↔ Python:
 * - `null`, booleans, strings, arrays, plain objects ↔ `None`, `bool`, `str`, `list`, `dict`
 * - integers (safe) and `bigint` ↔ `int`; other numbers and `FlaskFloat` ↔ `float`, spelt as
 *   Python's `repr` (`1.5`, `1e+16`, `1e-05`). An integral float such as Python's `1.0` (or
 *   `-0.0`, `1e+16`) decodes to a `FlaskFloat`, so it goes back to Python as a float; a number
 *   with a fraction is unambiguous and decodes to a plain number. Wrap a number in `FlaskFloat`
 *   to write `1.0`. Integers beyond 2^53 decode to `bigint`, exactly.
 * - `FlaskTuple` ↔ `tuple` (tag ` t`), `Uint8Array`/`Buffer` ↔ `bytes` (` b`, decodes to a
 *   Buffer), `Date` ↔ `datetime` (` d`, HTTP date, whole seconds, UTC), `FlaskUUID` ↔ `UUID`
 *   (` u`), `Markup` ↔ `markupsafe.Markup` (` m`); a one-key dict whose key is a tag is escaped
 *   with ` di`, as Flask does.
 * - NaN and ±Infinity are refused (they are not JSON); so is anything else (undefined,
 *   functions, Map, class instances), with a SessionValueError naming where it was.
 */

import { ArgumentError, SessionValueError } from "../../errors.ts";
import { MAX_NESTING, tooDeepMessage } from "../nesting.ts";

/** A Python tuple: written as a tagged list, read back as a FlaskTuple. */
export class FlaskTuple {
  readonly items: readonly FlaskValue[];
  constructor(items: Iterable<FlaskValue>) {
    this.items = Object.freeze([...items]);
  }
}

/** `markupsafe.Markup`: HTML that is already safe. */
export class Markup {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
  toString(): string {
    return this.html;
  }
}

/** A Python `uuid.UUID`; `toString()` is the hyphenated lowercase form, `hex` what Flask stores. */
export class FlaskUUID {
  readonly hex: string;
  /** Accepts what Python's `UUID(hex)` accepts: 32 hex digits, hyphens, braces, `urn:uuid:`. */
  constructor(text: string) {
    const hex = text
      .replace(/^urn:/, "")
      .replace(/^uuid:/, "")
      .replace(/^\{|\}$/g, "")
      .replaceAll("-", "")
      .toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(hex)) throw new ArgumentError(`not a UUID: ${JSON.stringify(text)}`);
    this.hex = hex;
  }
  toString(): string {
    const h = this.hex;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** A number to be written as a Python float even when it is integral (`1.0`). */
export class FlaskFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
  /** JSON (a response body, a log line) shows the number. */
  toJSON(): number {
    return this.value;
  }
}

export type FlaskValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | FlaskTuple
  | Uint8Array
  | Date
  | FlaskUUID
  | Markup
  | FlaskFloat
  | readonly FlaskValue[]
  | { readonly [key: string]: FlaskValue };

const TAGS = new Set([" di", " t", " b", " m", " u", " d"]);

/** Flask's `session_json_serializer.dumps(value)`, the same bytes. */
export function dumpTaggedJson(value: FlaskValue): string {
  return write(value, [], 0);
}

/**
 * Where the value being written is: the keys and list indexes from the top. Spelt out
 * (`value["a"][1]`) only for an error's message.
 */
type Where = Array<string | number>;

function spell(where: Where): string {
  let path = "value";
  for (const step of where) {
    path += typeof step === "number" ? `[${step}]` : `[${JSON.stringify(step)}]`;
  }
  return path;
}

/**
 * `value` as JSON, inside `depth` open brackets. Any value that opens brackets of its own (a
 * dict, a list, a tag) is refused past MAX_NESTING, before the recursion could exhaust the stack.
 */
function write(value: FlaskValue, where: Where, depth: number): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return pythonNumber(value, where);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object":
      if (value === null) return "null";
      break;
    default:
      throw new SessionValueError(
        `${spell(where)}: a ${typeof value} cannot be stored in a Flask session`,
      );
  }
  if (depth >= MAX_NESTING) throw new SessionValueError(tooDeepMessage(spell(where)));
  if (Array.isArray(value)) return writeList(value, where, depth + 1);
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const only = keys[0] as string;
      if (TAGS.has(only)) {
        // TagDict: {" di": {"<tag>__": tagged value}}, two brackets deep.
        if (depth + 2 > MAX_NESTING) throw new SessionValueError(tooDeepMessage(spell(where)));
        where.push(only);
        const inner = write(value[only] as FlaskValue, where, depth + 2);
        where.pop();
        return `{" di":{${quote(`${only}__`)}:${inner}}}`;
      }
    } else if (keys.length > 1) {
      keys.sort(compareCodePoints);
    }
    let text = "{";
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      if (index > 0) text += ",";
      text += `${quote(key)}:`;
      where.push(key);
      text += write(value[key] as FlaskValue, where, depth + 1);
      where.pop();
    }
    return `${text}}`;
  }
  if (value instanceof FlaskTuple) return `{" t":${writeList(value.items, where, depth + 2)}}`;
  if (value instanceof Uint8Array) {
    const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
    return `{" b":"${base64}"}`;
  }
  if (value instanceof Markup) return `{" m":${quote(value.html)}}`;
  if (value instanceof FlaskUUID) return `{" u":"${value.hex}"}`;
  if (value instanceof Date) return `{" d":"${httpDate(value, where)}"}`;
  if (value instanceof FlaskFloat) return pythonFloatAt(value.value, where);
  const name = (value as object).constructor?.name ?? "object";
  throw new SessionValueError(`${spell(where)}: a ${name} cannot be stored in a Flask session`);
}

/** A list's items as JSON, `depth` counting the list's own bracket. */
function writeList(items: readonly FlaskValue[], where: Where, depth: number): string {
  if (depth > MAX_NESTING) throw new SessionValueError(tooDeepMessage(spell(where)));
  let text = "[";
  for (let index = 0; index < items.length; index++) {
    if (index > 0) text += ",";
    where.push(index);
    if (!(index in items)) {
      throw new SessionValueError(`${spell(where)}: a hole in an array`);
    }
    text += write(items[index] as FlaskValue, where, depth);
    where.pop();
  }
  return `${text}]`;
}

function isPlainObject(value: object): value is { readonly [key: string]: FlaskValue } {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Python's string order: by code point (JavaScript's `<` compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x === y) continue;
    if (x < 0xd800 || y < 0xd800) return x - y;
    // Both at or above the surrogates: a code point from a surrogate pair is above U+FFFF.
    const cx = a.codePointAt(index) as number;
    const cy = b.codePointAt(index) as number;
    return cx - cy;
  }
  return a.length - b.length;
}

const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT: Record<number, string> = {
  34: '\\"',
  92: "\\\\",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  8: "\\b",
  12: "\\f",
};

/** `json.dumps(text, ensure_ascii=True)`: `\uXXXX` (lowercase) outside printable ASCII. */
function quote(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  let result = '"';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c) {
      result += text[index];
    } else {
      result += SHORT[code] ?? `\\u${code.toString(16).padStart(4, "0")}`;
    }
  }
  return `${result}"`;
}

function pythonNumber(value: number, where: Where): string {
  if (Number.isSafeInteger(value)) return Object.is(value, -0) ? "0" : String(value);
  return pythonFloatAt(value, where);
}

function pythonFloatAt(value: number, where: Where): string {
  return Number.isFinite(value) ? pythonFloat(value) : pythonFloat(value, spell(where));
}

/** `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function pythonFloat(value: number, path = "value"): string {
  if (!Number.isFinite(value)) {
    throw new SessionValueError(
      `${path}: ${value} is not JSON and cannot be stored in a Flask session`,
    );
  }
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const [mantissa = "0", exp = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === "" ? "0" : fraction}`;
}

/** werkzeug's `http_date`: `Wed, 21 Oct 2015 07:28:00 GMT`, whole seconds, UTC. */
function httpDate(date: Date, where: Where): string {
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw new SessionValueError(
      `${spell(where)}: the date is invalid or outside Python's years 1 to 9999`,
    );
  }
  return date.toUTCString();
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const HTTP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

function parseHttpDate(text: string): Date {
  const match = HTTP_DATE.exec(text);
  if (match === null) throw new SessionValueError("bad date");
  const [, day, month, year, hour, minute, second] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), MONTHS.indexOf(month as string), Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  // Reject dates that do not exist (31 Feb) and a weekday that does not match.
  if (date.toUTCString() !== text) throw new SessionValueError("bad date");
  // As werkzeug's parse_date (email.utils.parsedate_tz): years 0..99 are two-digit years,
  // 69..99 → 19xx and 0..68 → 20xx, so Flask reads its own "0099" as 1999; so does tessera.
  const y = date.getUTCFullYear();
  if (y < 100) date.setUTCFullYear(y + (y > 68 ? 1900 : 2000));
  return date;
}

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function untag(tag: string, value: unknown): FlaskValue {
  switch (tag) {
    case " t":
      if (!Array.isArray(value)) throw new SessionValueError("bad tuple");
      return new FlaskTuple(value as FlaskValue[]);
    case " b": {
      if (typeof value !== "string" || !STANDARD_BASE64.test(value))
        throw new SessionValueError("bad bytes");
      const bytes = Buffer.from(value, "base64");
      if (bytes.toString("base64") !== value) throw new SessionValueError("bad bytes");
      return bytes;
    }
    case " m":
      if (typeof value !== "string") throw new SessionValueError("bad markup");
      return new Markup(value);
    case " u":
      if (typeof value !== "string") throw new SessionValueError("bad uuid");
      return new FlaskUUID(value);
    case " d":
      if (typeof value !== "string") throw new SessionValueError("bad date");
      return parseHttpDate(value);
    default: {
      // " di": {"<key>__": value} → {"<key>": value}
      if (value === null || typeof value !== "object" || !isPlainObject(value)) {
        throw new SessionValueError("bad dict");
      }
      const keys = Object.keys(value);
      const [key] = keys;
      if (keys.length !== 1 || key === undefined || !key.endsWith("__")) {
        throw new SessionValueError("bad dict");
      }
      const result: Record<string, FlaskValue> = {};
      Object.defineProperty(result, key.slice(0, -2), {
        value: value[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return result;
    }
  }
}

const INTEGER = /^-?\d+$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const SPACE = 0x20;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/**
 * Flask's `session_json_serializer.loads(text)`; throws on anything that is not JSON or holds a
 * malformed tag. Integers beyond 2^53 come back as bigint.
 */
export function parseTaggedJson(text: string): FlaskValue {
  // Most sessions hold no tagged value, no integer beyond 2^53 and no integral float: plain
  // JSON.parse reads them the same, several times faster than with a reviver.
  if (isPlainJson(text)) return JSON.parse(text) as FlaskValue;
  return parseTagged(text);
}

/**
 * Whether plain `JSON.parse` reads `text` exactly as Flask's tagged JSON does (`parseTagged`):
 * no tag, no integer beyond 2^53 and no integral float is in it. Callers that parse the same
 * text again and again (a cached cookie) ask once.
 *
 * One pass over the text, skipping the inside of strings (a hex token's `1e`, a `{" ` typed in
 * a string are text, not JSON). Outside strings it looks at:
 * - every object's first key: a tag is a one-key object whose key starts with a space, so a
 *   first key starting with a space or an escape (`\u0020`) takes the exact path;
 * - every number: one with a fraction or an exponent takes the exact path when its value is
 *   integral (`1.0`, `1e+16`, `-0.0`, and `99999999.999999999`, which rounds to 1e8), as
 *   Flask reads it as a float; an integer of 16 digits or more when it is beyond 2^53.
 * `Number` and `JSON.parse` read a JSON number to the same double (both round to nearest).
 * Text that is not JSON may be answered either way: both paths then throw.
 */
export function isPlainJson(text: string): boolean {
  const length = text.length;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      // The closing quote is the next one not escaped: preceded by an even run of backslashes.
      let close = text.indexOf('"', index + 1);
      for (;;) {
        if (close < 0) return false;
        let before = close - 1;
        while (text.charCodeAt(before) === BACKSLASH) before--;
        if (((close - 1 - before) & 1) === 0) break;
        close = text.indexOf('"', close + 1);
      }
      index = close + 1;
    } else if (code === OPEN_BRACE) {
      let next = text.charCodeAt(++index);
      while (next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d) {
        next = text.charCodeAt(++index);
      }
      if (next === QUOTE) {
        const first = text.charCodeAt(index + 1);
        if (first === SPACE || first === BACKSLASH) return false;
      }
      // The key itself is skipped as a string on the next turn.
    } else if (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9)) {
      const start = index;
      if (code === MINUS) index++;
      const digits = index;
      let next = text.charCodeAt(index);
      while (next >= DIGIT_0 && next <= DIGIT_9) next = text.charCodeAt(++index);
      if (next === DOT || next === LOWER_E || next === UPPER_E) {
        while (
          (next >= DIGIT_0 && next <= DIGIT_9) ||
          next === DOT ||
          next === LOWER_E ||
          next === UPPER_E ||
          next === PLUS ||
          next === MINUS
        ) {
          next = text.charCodeAt(++index);
        }
        if (Number.isInteger(Number(text.slice(start, index)))) return false;
      } else if (index - digits >= 16 && !Number.isSafeInteger(Number(text.slice(start, index)))) {
        return false;
      }
    } else {
      index++;
    }
  }
  return true;
}

/** `parseTaggedJson` on its exact path, with the reviver. */
export function parseTagged(text: string): FlaskValue {
  return JSON.parse(text, function revive(
    this: unknown,
    _key: string,
    value: unknown,
    context?: { source?: string },
  ) {
    if (typeof value === "number") {
      const source = context?.source;
      if (source === undefined || !Number.isInteger(value)) return value;
      if (INTEGER.test(source)) return Number.isSafeInteger(value) ? value : BigInt(source);
      // Python wrote a float that happens to be integral (1.0, -0.0, 1e+16): keep it a float.
      return new FlaskFloat(value);
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const [only] = keys;
      if (keys.length === 1 && only !== undefined && TAGS.has(only)) {
        return untag(only, (value as Record<string, unknown>)[only]);
      }
    }
    return value;
  } as (key: string, value: unknown) => unknown) as FlaskValue;
}
