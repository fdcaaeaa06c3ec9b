/**
 * Flash messages as Flask keeps them: a list of [category, message] pairs under `_flashes`, so a
 * Flask app sharing the session sees the same messages.
 */
export const FLASHES_KEY = "_flashes";

export interface Flash {
  readonly category: string;
  readonly message: string;
}

export type StoredFlashes = Array<[category: string, message: string]>;

/** Reads stored flashes, skipping anything malformed rather than failing the request. */
export function readFlashes(value: unknown): StoredFlashes {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is [string, string] =>
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === "string" &&
      typeof entry[1] === "string",
  );
}
