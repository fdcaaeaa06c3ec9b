/**
 * User ids for the per-user index. An application may keep the id as a string or a number;
 * either way the index is keyed by its text, and a session matches whichever way its user id
 * was stored, so `revokeUser(42)` and `revokeUser("42")` end the same sessions.
 */
export type { UserId } from "../contract.ts";

/** The id's text, or undefined for a value that is not a user id (empty, NaN, an object). */
export function userIdOf(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** How the user id can appear in a session's JSON field: as a string, or as a number. */
export function jsonSpellingsOf(canonical: string): string[] {
  const spellings = [JSON.stringify(canonical)];
  const asNumber = Number(canonical);
  if (canonical.trim() !== "" && Number.isFinite(asNumber) && String(asNumber) === canonical) {
    spellings.push(canonical);
  }
  return spellings;
}
