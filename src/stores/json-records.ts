/**
 * The JSON handling shared by stores that keep session data as a JSON string (memory, sqlite):
 * reading a stored string back without trusting it, and applying a patch to it.
 */
import { MAX_NESTING, nestsDeeperThan } from "../codecs/nesting.ts";
import { reportCorruptRecord } from "../diagnostics.ts";
import { ArgumentError, SessionValueError } from "../errors.ts";
import type { ListOptions, SessionData, SessionPatch } from "./contract.ts";

/**
 * Parses stored session data. Anything that is not a JSON object (a corrupt row, a value some
 * other program wrote) reads as "no session" instead of an exception, so one bad record gives
 * its user a fresh session rather than an error page.
 */
export function parseStoredData(stored: unknown, source?: RecordSource): SessionData | undefined {
  const problem = problemIn(stored);
  if (typeof problem === "object") return problem;
  if (source !== undefined) reportCorruptRecord(source.store, source.id, problem);
  return undefined;
}

/** Where a record was read, so that a corrupt one is reported with its store and session. */
export interface RecordSource {
  readonly store: string;
  readonly id: string;
}

/** The stored data, or what is wrong with it. */
function problemIn(stored: unknown): SessionData | string {
  if (typeof stored !== "string") return `the record holds a ${typeof stored}, not JSON text`;
  // Deeper than any writer makes: refused before parsing, so the next write cannot fail on it.
  if (nestsDeeperThan(stored)) return `nested more than ${MAX_NESTING} levels deep`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return "not valid JSON";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "JSON that is not an object";
  }
  return parsed as SessionData;
}

/**
 * Applies a patch on top of the stored data and returns the new data as a JSON string.
 * Works on a Map so that a key such as "__proto__" stays an ordinary key instead of changing
 * an object's prototype.
 */
export function serializePatchedData(stored: SessionData | undefined, patch: SessionPatch): string {
  const data = new Map<string, unknown>(patch.clear || !stored ? [] : Object.entries(stored));
  for (const key of patch.delete) data.delete(key);
  for (const [key, value] of patch.set) data.set(key, value);
  try {
    return JSON.stringify(Object.fromEntries(data));
  } catch (error) {
    throw new SessionValueError(describeUnserializable(patch, error), { cause: error });
  }
}

/**
 * One session value as JSON, for stores that keep each key separately (Redis hash fields).
 * Undefined (which JSON cannot hold) comes back as undefined, and the caller drops the key, as
 * JSON.stringify drops it from a whole object. A value that cannot be stored is a SessionValueError
 * naming its key, like `serializePatchedData`.
 */
export function serializeSessionValue(key: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new SessionValueError(
      describeUnserializable(
        { clear: false, set: new Map([[key, value]]), delete: new Set() },
        error,
      ),
      { cause: error },
    );
  }
}

/** Names the key whose value cannot be stored, so the message points at the application code. */
function describeUnserializable(patch: SessionPatch, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  for (const [key, value] of patch.set) {
    try {
      JSON.stringify(value);
    } catch {
      return `session value for key ${JSON.stringify(key)} cannot be stored (${reason}): session values must be JSON-compatible (strings, numbers, booleans, null, arrays and plain objects); convert it before putting it in the session`;
    }
  }
  return `session data cannot be stored (${reason}): session values must be JSON-compatible`;
}

/** The `limit` of a list call as a count, Infinity when absent. */
export function listLimit(options: ListOptions | undefined): number {
  const limit = options?.limit;
  if (limit === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ArgumentError(
      `list limit must be a non-negative integer; got ${String(limit)}. Leave it out to list every session`,
    );
  }
  return limit;
}
