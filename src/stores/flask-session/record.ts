/**
 * Flask-Session's records, for the stores that share them with a Flask app (Redis and
 * PostgreSQL, each with `layout: "flask-session"`): a record is the whole session dict as
 * Flask-Session 0.7+ serializes it, msgspec MessagePack by default or JSON
 * (`SESSION_SERIALIZATION_FORMAT`), with no wrapper. docs/flask-session-format.md has the
 * sources.
 *
 * - A record is read as MessagePack unless its first byte opens JSON (`{` or white space; a
 *   MessagePack map never starts so), as Flask-Session 0.8 falls back from one decoder to the
 *   other. Anything else (pickle from 0.6, corrupt bytes, a value that is not a map) is no
 *   session. What Python can write and JSON cannot hold reads as src/codecs/msgpack reads it.
 * - `_permanent` is Flask's `session.permanent`, an ordinary key to the stores, which keep it
 *   through `clear` as Flask-Session's `ServerSideSession.clear()` does.
 */
import { decodeMsgpack, encodeMsgpack } from "../../codecs/msgpack/index.ts";
import { reportCorruptRecord } from "../../diagnostics.ts";
import { SessionValueError } from "../../errors.ts";
import type { SessionData, SessionPatch } from "../contract.ts";
import type { RecordSource } from "../json-records.ts";
import { decodeFlaskJson, encodeFlaskJson } from "./json.ts";

/** Flask-Session's `SESSION_SERIALIZATION_FORMAT`. */
export type FlaskSerializer = "msgpack" | "json";

/** Flask's `session.permanent` flag, kept through `clear` as Flask-Session 0.7+ does. */
export const PERMANENT_KEY = "_permanent";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The serialization a stored record is in, by its first byte. */
export function serializationOf(bytes: Uint8Array): FlaskSerializer {
  const first = bytes[0];
  return first === 0x7b || first === 0x20 || first === 0x09 || first === 0x0a || first === 0x0d
    ? "json"
    : "msgpack";
}

/**
 * The text of a JSON record, or undefined when it is not UTF-8 (Python's decoders refuse such
 * bytes too, and replacing them would change what a patch copies).
 */
export function jsonText(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The session dict a stored value holds, or undefined when it is not one tessera can read.
 * Given where it was read, an unreadable record is reported (`tessera:store:corrupt`).
 */
export function decodeRecord(value: unknown, source?: RecordSource): SessionData | undefined {
  const data = readRecord(value);
  if (data === undefined && source !== undefined && value !== null && value !== undefined) {
    reportCorruptRecord(
      source.store,
      source.id,
      "not a Flask-Session record tessera reads (pickle, corrupt bytes, nested too deep, or not a dict)",
    );
  }
  return data;
}

function readRecord(value: unknown): SessionData | undefined {
  if (!(value instanceof Uint8Array) || value.length === 0) return undefined;
  let decoded: unknown;
  try {
    if (serializationOf(value) === "json") {
      const text = jsonText(value);
      if (text === undefined) return undefined;
      decoded = decodeFlaskJson(text);
    } else decoded = decodeMsgpack(value);
  } catch {
    return undefined;
  }
  // A map decodes to a plain object; anything else (an array, bytes, a Date, an extension) is
  // not a session dict.
  if (decoded === null || typeof decoded !== "object") return undefined;
  if (Object.getPrototypeOf(decoded) !== Object.prototype) return undefined;
  return decoded as SessionData;
}

/** One top-level entry of a record: its key's name and the key's and value's bytes. */
export interface RecordEntry {
  /**
   * The key as the reader names it (src/codecs/msgpack: an int key 42 is "42"), or undefined
   * for a key the reader leaves out (bytes, a tuple): no patch can name such an entry.
   */
  readonly name: string | undefined;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A patch encoded in one serialization, ready to splice into a record's entries. */
export interface EncodedPatch {
  readonly clear: boolean;
  /** The keys to delete: the patch's, and those it sets to undefined, a function or a symbol. */
  readonly deleted: ReadonlySet<string>;
  /** The keys to set, in the patch's order. */
  readonly sets: readonly (RecordEntry & { readonly name: string })[];
}

/**
 * The patch in one serialization. A top-level value JSON cannot hold (undefined, a function, a
 * symbol) deletes its key, as in the other stores, where JSON.stringify drops it. Every value is
 * encoded here, so one that cannot be stored throws (a SessionValueError naming the key) before
 * anything is sent.
 */
export function encodePatch(patch: SessionPatch, serializer: FlaskSerializer): EncodedPatch {
  const sets: (RecordEntry & { name: string })[] = [];
  const deleted = new Set(patch.delete);
  for (const [name, value] of patch.set) {
    const kind = typeof value;
    if (kind === "undefined" || kind === "function" || kind === "symbol") {
      deleted.add(name);
      continue;
    }
    try {
      sets.push({
        name,
        key: encodeValue(name, serializer),
        value: encodeValue(value, serializer),
      });
    } catch (error) {
      throw new SessionValueError(
        `session value for key ${JSON.stringify(name)} cannot be stored: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return { clear: patch.clear, deleted, sets };
}

/** A value in one serialization. Throws a SessionValueError for a value that cannot be stored. */
function encodeValue(value: unknown, serializer: FlaskSerializer): Uint8Array {
  return serializer === "msgpack" ? encodeMsgpack(value) : Buffer.from(encodeFlaskJson(value));
}
