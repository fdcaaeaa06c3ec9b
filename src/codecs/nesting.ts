/**
 * One nesting limit for every format tessera reads and writes: Flask cookies, sealed cookies and
 * stored records. Without it a signed cookie or a stored record nested 100,000 levels deep
 * decodes (JSON.parse does not recurse) but cannot be written back (every writer recurses), so
 * the next rolling refresh answers 500. With it, what decodes can always be encoded again:
 * writers refuse deeper values with a SessionValueError naming the key, and readers treat deeper
 * text as a bad cookie or a corrupt record, giving an empty session.
 *
 * The limit counts JSON brackets as written, so it covers Flask's tag wrappers (a tuple is
 * `{" t":[…]}`, two levels) and the record around the data (a sealed payload's `{"d":…}`, a
 * stored row's object) exactly as they appear. 512 is far beyond any session (a few levels is
 * usual), within Python's default recursion limit (so Flask reads what tessera writes), and the
 * same as the msgpack and Flask-Session readers already used.
 */
export const MAX_NESTING = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON `text` opens more than `limit` arrays and objects inside one another. Brackets
 * inside strings do not count. Linear, and cheap enough for every read: text shorter than the
 * limit cannot exceed it and is not scanned.
 */
export function nestsDeeperThan(text: string, limit = MAX_NESTING): boolean {
  if (text.length <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The message of the SessionValueError a writer throws for a value nested too deep. */
export function tooDeepMessage(where: string): string {
  return `${where} is nested more than ${MAX_NESTING} levels deep (arrays and objects inside one another), which tessera's session formats do not keep: a session nested that deep could be read but never written back. Flatten it before putting it in the session.`;
}

/**
 * Whether `value` holds arrays and objects more than `limit` levels inside one another (the
 * value itself, if an array or object, is the first level). Stops at the limit, so a cycle or
 * a hostile depth costs at most `limit` frames.
 */
export function valueNestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (limit <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (valueNestsDeeperThan(item, limit - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (valueNestsDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
  }
  return false;
}
