/**
 * itsdangerous's base64 (encoding.py): URL-safe alphabet, padding stripped, and the big-endian
 * integer encoding it uses for timestamps (`int_to_bytes`: 8 bytes with leading zeros removed).
 *
 * Decoding is stricter than Python's: only the canonical spelling of some bytes is accepted (no
 * padding, no characters outside the alphabet, no stray bits in the last character), so no two
 * different strings decode to the same bytes. Everything itsdangerous writes is canonical.
 */

import { ArgumentError } from "../../errors.ts";

const CANONICAL = /^[A-Za-z0-9_-]*$/;

/** Each base64url character's 6 bits, by character code. */
const SEXTETS = new Int8Array(128).fill(-1);
for (const [index, character] of [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
].entries()) {
  SEXTETS[character.charCodeAt(0)] = index;
}

export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * Whether `text` is the unpadded base64url spelling of some bytes, the only one: base64url
 * characters, a length that is not 1 more than a multiple of 4, and no stray bits in the last
 * character (the 4 or 2 bits past the bytes' end, with 2 or 3 characters in the last group).
 * The same strings as those that survive decoding and encoding again, without doing either.
 */
export function isCanonicalBase64Url(text: string): boolean {
  const tail = text.length % 4;
  if (tail === 1 || !CANONICAL.test(text)) return false;
  if (tail === 0) return true;
  const last = SEXTETS[text.charCodeAt(text.length - 1)] as number;
  return (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

/** The bytes of a canonical unpadded URL-safe base64 string, or undefined. */
export function base64Decode(text: string): Buffer | undefined {
  return isCanonicalBase64Url(text) ? Buffer.from(text, "base64url") : undefined;
}

/** `int_to_bytes`: a non-negative integer below 2^64 as big-endian bytes, no leading zeros. */
export function intToBytes(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ArgumentError(`expected a non-negative safe integer, got ${value}`);
  }
  const eight = Buffer.alloc(8);
  eight.writeBigUInt64BE(BigInt(value));
  let start = 0;
  while (start < 8 && eight[start] === 0) start++;
  return eight.subarray(start);
}

/**
 * `bytes_to_int` for the canonical form `intToBytes` writes: at most 8 bytes, no leading zero
 * byte, and within JavaScript's safe integers; anything else is undefined.
 */
export function bytesToInt(bytes: Uint8Array): number | undefined {
  if (bytes.length > 8 || bytes[0] === 0) return undefined;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}
