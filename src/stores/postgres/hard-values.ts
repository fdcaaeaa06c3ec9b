/**
 * Strings PostgreSQL's jsonb cannot hold: the character U+0000 (jsonb keeps text, and text
 * cannot contain it) and a lone UTF-16 surrogate (half of a character, which is not valid
 * Unicode). JSON.stringify writes both as escapes that jsonb then refuses. The store does not
 * rewrite such values, which would change what the session reads back: it refuses the write,
 * naming the key, so the application can encode the value (base64, say) before storing it.
 */
import type { SessionPatch } from "../contract.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The message for a write PostgreSQL refused with a data exception (`reason`). */
export function describeUnstorableText(patch: SessionPatch, reason: string): string {
  for (const [key, value] of patch.set) {
    const problem = problemIn(key) ?? problemInValue(value);
    if (problem !== undefined) {
      return `session value for key ${JSON.stringify(key)} cannot be stored in PostgreSQL: it contains ${problem}, which jsonb cannot hold (PostgreSQL said: ${reason}). Remove it, or encode the value (base64, say) before putting it in the session.`;
    }
  }
  return `session data cannot be stored in PostgreSQL: ${reason}. Session values must be JSON text jsonb accepts (no U+0000 character, no lone surrogate).`;
}

function problemInValue(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return problemIn(value);
  if (typeof value !== "object" || value === null || depth > 1000) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const problem = problemIn(key) ?? problemInValue(item, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function problemIn(text: string): string | undefined {
  if (text.includes("\u0000")) return "the character U+0000";
  if (LONE_SURROGATE.test(text)) return "a lone UTF-16 surrogate (half of a character)";
  return undefined;
}
