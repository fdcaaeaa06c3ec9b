/**
 * User ids in Redis's per-user index (see ../user-ids.ts): a session matches whichever way its
 * user id was stored, as a JSON string or a JSON number.
 */
export type { UserId } from "../contract.ts";
export { userIdOf } from "../user-ids.ts";

/** How the user id can appear in a session's JSON field: as a string, or as a number. */
export function jsonSpellingsOf(canonical: string): string[] {
  const spellings = [JSON.stringify(canonical)];
  const asNumber = Number(canonical);
  if (canonical.trim() !== "" && Number.isFinite(asNumber) && String(asNumber) === canonical) {
    spellings.push(canonical);
  }
  return spellings;
}
