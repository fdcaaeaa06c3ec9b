import { FlaskTuple } from "../codecs/flask/tagged-json.ts";

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

/**
 * Reads stored flashes, skipping anything malformed rather than failing the request. A pair is
 * a list, or (in a Flask cookie) a tuple: Flask's `flash()` queues `(category, message)` tuples,
 * which the Flask codec reads as FlaskTuple. Pairs are written back as lists, which Flask's
 * `get_flashed_messages()` unpacks the same way.
 */
export function readFlashes(value: unknown): StoredFlashes {
  if (!Array.isArray(value)) return [];
  const flashes: StoredFlashes = [];
  for (const entry of value) {
    const pair: unknown = entry instanceof FlaskTuple ? entry.items : entry;
    if (
      Array.isArray(pair) &&
      pair.length === 2 &&
      typeof pair[0] === "string" &&
      typeof pair[1] === "string"
    ) {
      flashes.push([pair[0], pair[1]]);
    }
  }
  return flashes;
}
