import { randomBytes } from "node:crypto";

/**
 * The shortest secret accepted without an explicit opt-out: 24 bytes, what the Flask walkthrough's
 * `os.urandom(24)` gives. Shorter keys make offline guessing of the HMAC key practical.
 */
export const MIN_SECRET_BYTES = 24;

/** A secret as users hold it: a string (its UTF-8 bytes are the key) or raw bytes. */
export type Secret = string | Uint8Array;

/** A new random secret: 32 bytes, base64url, ready for SECRET_KEY. */
export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function secretBytes(secret: Secret): Buffer {
  return typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
}
