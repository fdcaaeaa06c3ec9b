import { FlaskTuple, Markup } from "../codecs/flask/tagged-json.ts";

/**
 * Flash messages as Flask keeps them: a list of (category, message) pairs under `_flashes`, so a
 * Flask app sharing the session sees the same messages.
 */
export const FLASHES_KEY = "_flashes";

export interface Flash {
  readonly category: string;
  readonly message: string;
  /** The message is HTML already made safe (Flask's `flash(Markup(...))`): do not escape it. */
  readonly html?: true;
}

/** The stored entries as they are, readable or not: what is not consumed is kept unchanged. */
export function storedFlashes(value: unknown): unknown[] {
  return Array.isArray(value) ? [...value] : [];
}

/**
 * What one stored entry says, or undefined when it is not a flash tessera can read. A pair is a
 * list, or (in a Flask cookie) a tuple: Flask's `flash()` queues `(category, message)` tuples,
 * which the Flask codec reads as FlaskTuple; the message may be Markup. tessera writes lists,
 * which Flask's `get_flashed_messages()` unpacks the same way.
 */
export function readFlash(entry: unknown): Flash | undefined {
  const pair: unknown = entry instanceof FlaskTuple ? entry.items : entry;
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") return undefined;
  const [category, message] = pair as [string, unknown];
  if (typeof message === "string") return { category, message };
  if (message instanceof Markup) return { category, message: message.html, html: true };
  return undefined;
}
