/**
 * A per-key patch applied to a Flask-Session record in JavaScript, for stores that cannot run it
 * inside the database (PostgreSQL keeps the record as bytea; the Redis layout does the same in
 * Lua, src/stores/redis/flask-session-scripts.ts, with the same rules):
 *
 * - the record is split into its top-level entries, each key's and value's bytes as stored;
 * - entries the patch does not name are copied byte for byte, never decoded and re-encoded, so
 *   whatever Python stored (a float 1.0, a datetime to the microsecond, an extension type, a dict
 *   with int keys) stays exactly as it was;
 * - a changed key keeps its place and new keys go last; a name stored more than once (another
 *   client's JSON, or 42 and "42") reads as its last entry, so a set writes it once, in the first
 *   entry's place, and drops the others, and a delete drops them all;
 * - `clear` drops every entry but `_permanent`, as Flask-Session's `clear()` keeps it;
 * - the record is written back in the serialization it was in.
 */
import { decodeMsgpackEntries } from "../../codecs/msgpack/index.ts";
import { jsonObjectEntries } from "./json.ts";
import {
  type EncodedPatch,
  type FlaskSerializer,
  jsonText,
  PERMANENT_KEY,
  type RecordEntry,
  serializationOf,
} from "./record.ts";

export interface RecordEntries {
  readonly serializer: FlaskSerializer;
  readonly entries: readonly RecordEntry[];
}

/**
 * The entries of a stored record, or undefined when it is not one tessera reads as a session
 * (exactly the records `decodeRecord` refuses).
 */
export function recordEntries(bytes: Uint8Array): RecordEntries | undefined {
  if (bytes.length === 0) return undefined;
  if (serializationOf(bytes) === "json") {
    const text = jsonText(bytes);
    const entries = text === undefined ? undefined : jsonObjectEntries(text);
    if (entries === undefined) return undefined;
    return {
      serializer: "json",
      entries: entries.map(({ name, key, value }) => ({
        name,
        key: Buffer.from(key),
        value: Buffer.from(value),
      })),
    };
  }
  try {
    const entries = decodeMsgpackEntries(bytes).map(({ name, keyStart, valueStart, end }) => ({
      name,
      key: bytes.subarray(keyStart, valueStart),
      value: bytes.subarray(valueStart, end),
    }));
    return { serializer: "msgpack", entries };
  } catch {
    return undefined;
  }
}

/** The entries after the patch (encoded in the record's serialization). */
export function patchEntries(entries: readonly RecordEntry[], patch: EncodedPatch): RecordEntry[] {
  const pending = new Map(patch.sets.map((entry) => [entry.name, entry]));
  const written = new Set<string>();
  const result: RecordEntry[] = [];
  for (const entry of entries) {
    const { name } = entry;
    if (name === undefined) {
      if (!patch.clear) result.push(entry);
      continue;
    }
    const replacement = pending.get(name);
    if (replacement !== undefined) {
      if (!written.has(name)) result.push(replacement);
      written.add(name);
    } else if (!patch.deleted.has(name) && (!patch.clear || name === PERMANENT_KEY)) {
      result.push(entry);
    }
  }
  for (const entry of patch.sets) if (!written.has(entry.name)) result.push(entry);
  return result;
}

/** The record's bytes: a MessagePack map of the entries, or a compact JSON object. */
export function assembleRecord(
  serializer: FlaskSerializer,
  entries: readonly RecordEntry[],
): Buffer {
  const parts: Uint8Array[] = [];
  if (serializer === "json") {
    parts.push(OPEN);
    entries.forEach((entry, index) => {
      if (index > 0) parts.push(COMMA);
      parts.push(entry.key, COLON, entry.value);
    });
    parts.push(CLOSE);
  } else {
    parts.push(mapHeader(entries.length));
    for (const entry of entries) parts.push(entry.key, entry.value);
  }
  return Buffer.concat(parts);
}

const OPEN = Buffer.from("{");
const CLOSE = Buffer.from("}");
const COMMA = Buffer.from(",");
const COLON = Buffer.from(":");

/** A MessagePack map header in its shortest form, as msgspec writes it. */
function mapHeader(count: number): Buffer {
  if (count < 16) return Buffer.from([0x80 | count]);
  if (count < 0x10000) return Buffer.from([0xde, count >> 8, count & 0xff]);
  const header = Buffer.alloc(5);
  header[0] = 0xdf;
  header.writeUInt32BE(count, 1);
  return header;
}
