/**
 * Patches as the bridge applies them: on a copy of the whole session, which is then written
 * back whole (express-session's API has no per-key write).
 */
import type { SessionData, SessionPatch } from "../contract.ts";
import { serializeSessionValue } from "../json-records.ts";
import { dataMap } from "./record.ts";

/** A patch whose values are JSON copies, checked before any store call is made. */
export interface CopiedPatch {
  readonly clear: boolean;
  readonly set: ReadonlyMap<string, unknown>;
  readonly delete: ReadonlySet<string>;
}

/**
 * Copies the patch's values through JSON. A value JSON cannot hold (a bigint, a cycle) throws a
 * SessionValueError naming its key, before the store is asked anything, so a bad value never
 * leaves half a change behind; a value JSON drops (undefined, a function) deletes its key, as
 * it would vanish from a whole record. The copies keep the store from holding the
 * application's objects, whenever the store gets round to serializing them.
 */
export function copyPatch(patch: SessionPatch): CopiedPatch {
  const set = new Map<string, unknown>();
  const deleted = new Set(patch.delete);
  for (const [key, value] of patch.set) {
    const json = serializeSessionValue(key, value);
    if (json === undefined) deleted.add(key);
    else set.set(key, JSON.parse(json));
  }
  return { clear: patch.clear, set, delete: deleted };
}

/** The data after the patch, as a Map ready for `recordOf`. */
export function patchedData(
  stored: SessionData | undefined,
  patch: CopiedPatch,
): Map<string, unknown> {
  const data = patch.clear ? new Map<string, unknown>() : dataMap(stored);
  for (const key of patch.delete) data.delete(key);
  for (const [key, value] of patch.set) data.set(key, value);
  return data;
}
