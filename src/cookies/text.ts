/**
 * Names a character for an error message: printable ones quoted, the rest by code point, so a
 * stray newline or NUL is visible in a log line.
 */
export function describeCharacter(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
  const printable = codePoint >= 0x20 && codePoint !== 0x7f;
  return printable ? `${JSON.stringify(character)} (${hex})` : hex;
}

/** The first character of `text` that `allowed` does not accept, whole code points at a time. */
export function firstDisallowed(text: string, allowed: RegExp): string | undefined {
  for (const character of text) {
    if (!allowed.test(character)) return character;
  }
  return undefined;
}

/**
 * A value as JSON for an error message, never throwing: options can come from plain JavaScript,
 * and JSON.stringify throws on a bigint or a cycle, which would replace the CookieError being
 * built with a TypeError. What JSON cannot spell is named by its type.
 */
export function describeValue(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {}
  return `a ${typeof value}`;
}
