/**
 * Session data to and from the fields of a Redis hash: each session key is one field holding
 * its value as JSON, so a patch sets and deletes fields and never rewrites the rest.
 */

import { MAX_NESTING, nestsDeeperThan } from "../../codecs/nesting.ts";
import { reportCorruptRecord } from "../../diagnostics.ts";
import type { SessionData, SessionPatch, StoredSession } from "../contract.ts";
import { serializeSessionValue } from "../json-records.ts";
import type { Reply } from "./connection.ts";
import { CREATED_FIELD, EXPIRES_FIELD, fieldOf, sessionKeyOf } from "./layout.ts";

/**
 * Appends the patch to `args` as script arguments: clear flag, delete count, deleted fields,
 * field/value pairs. Every value is encoded here, before anything is sent, so a value that
 * cannot be stored rejects the call with nothing changed in Redis.
 */
export function appendPatchArguments(args: string[], patch: SessionPatch): string[] {
  const sets: string[] = [];
  // An undefined value (which JSON cannot hold) deletes its key, as JSON.stringify drops it.
  const dropped: string[] = [];
  for (const [key, value] of patch.set) {
    const json = serializeSessionValue(key, value);
    if (json === undefined) dropped.push(fieldOf(key));
    else sets.push(fieldOf(key), json);
  }
  args.push(patch.clear ? "1" : "0", String(patch.delete.size + dropped.length));
  for (const key of patch.delete) args.push(fieldOf(key));
  for (const field of dropped) args.push(field);
  for (const part of sets) args.push(part);
  return args;
}

/**
 * HGETALL on a key that holds something else (corrupt or foreign): no session, not an error.
 * Given the session's `id`, the record is reported as corrupt.
 */
export function noSessionOnWrongType(error: unknown, id?: string): Reply {
  if (error instanceof Error && error.message.startsWith("WRONGTYPE")) {
    if (id !== undefined)
      reportCorruptRecord("redis", id, "the key holds another type than a hash");
    return null;
  }
  throw error;
}

/** Whether a hash (HGETALL's flat field/value list) holds its own expiry, `@expires`. */
export function holdsExpiry(fields: readonly unknown[]): boolean {
  for (let index = 0; index < fields.length; index += 2) {
    if (fields[index] === EXPIRES_FIELD) return true;
  }
  return false;
}

/**
 * Reads a session from its hash's fields (HGETALL, as a flat field/value list) and its expiry:
 * the `@expires` field, or for a record written before that field existed, its remaining time
 * (PTTL; undefined when not asked). A field that is not valid JSON (written by something else)
 * makes the whole record read as no session, so its user gets a fresh one instead of an error
 * page.
 */
export function recordFromHash(
  fields: Reply,
  remaining: Reply | undefined,
  now: number,
  id: string,
): StoredSession | undefined {
  if (!Array.isArray(fields) || fields.length === 0 || remaining === -2) return undefined;
  const corrupt = (problem: string): undefined => {
    reportCorruptRecord("redis", id, problem);
    return undefined;
  };
  let createdAt = Number.NaN;
  let expires: number | undefined;
  const data: SessionData = {};
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const field = fields[index];
    const value = fields[index + 1];
    if (typeof field !== "string" || typeof value !== "string")
      return corrupt("a field is not text");
    if (field === CREATED_FIELD) {
      // Digits only: Number("") and Number(" ") are 0, which would read as the epoch.
      createdAt = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      continue;
    }
    if (field === EXPIRES_FIELD) {
      expires = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      continue;
    }
    const key = sessionKeyOf(field);
    if (key === undefined) continue;
    // A field is one level inside the record: deeper than any writer makes is refused before
    // parsing, so the next write cannot fail on it.
    if (nestsDeeperThan(value, MAX_NESTING - 1)) {
      return corrupt(`a field is nested more than ${MAX_NESTING} levels deep`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return corrupt("a field is not valid JSON");
    }
    // Assigning "__proto__" would change the object's prototype; defining it keeps it a key.
    if (key === "__proto__") {
      Object.defineProperty(data, key, {
        value: parsed,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else data[key] = parsed;
  }
  if (!Number.isFinite(createdAt)) return corrupt("its creation time is missing or not a number");
  if (expires !== undefined) {
    if (!Number.isFinite(expires)) return corrupt("its expiry is not a number");
    return { data, createdAt, expiresAt: expires };
  }
  // Without `@expires`, the TTL: -1 when someone removed it by hand (PERSIST), and the record
  // then lives until deleted.
  const expiresAt =
    remaining === -1
      ? Number.MAX_SAFE_INTEGER
      : now + (typeof remaining === "number" ? remaining : Number(remaining));
  if (!Number.isFinite(expiresAt)) return corrupt("its expiry is unknown");
  return { data, createdAt, expiresAt };
}
