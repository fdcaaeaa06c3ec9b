/**
 * The sealed cookie's spelling: `v1.<keyId>.<base64url(iv | ciphertext | tag)>`. Only base64url
 * characters and dots, so it needs no cookie encoding. `v1.<keyId>` is the AEAD's associated data.
 */

import { isCanonicalBase64Url } from "../flask/base64.ts";

export const SEAL_VERSION = "v1";
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface SealedToken {
  /** `v1.<keyId>`: authenticated as associated data. */
  readonly header: string;
  readonly keyId: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

// The key id is 8 base64url characters (6 bytes); the body at least iv + tag + 2 bytes of JSON.
const TOKEN = /^v1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]+)$/;

/** Above any real cookie: longer input is refused before any decoding work. */
const MAX_TOKEN_LENGTH = 8192;

export function formatToken(keyId: string, iv: Buffer, ciphertext: Buffer, tag: Buffer): string {
  return formatBody(keyId, Buffer.concat([iv, ciphertext, tag]));
}

/** The token for a body already laid out as iv | ciphertext | tag. */
export function formatBody(keyId: string, body: Buffer): string {
  return `${tokenHeader(keyId)}.${body.toString("base64url")}`;
}

export function tokenHeader(keyId: string): string {
  return `${SEAL_VERSION}.${keyId}`;
}

/** The parts of a token, or undefined when it is not one (never throws). */
export function parseToken(value: unknown): SealedToken | undefined {
  if (typeof value !== "string" || value.length > MAX_TOKEN_LENGTH) return undefined;
  const match = TOKEN.exec(value);
  if (match === null) return undefined;
  const keyId = match[1] as string;
  const encoded = match[2] as string;
  // Non-canonical spellings (unused low bits in the last character, or a length no base64
  // has) are refused, so exactly one string spells each token.
  if (!isCanonicalBase64Url(encoded)) return undefined;
  const body = Buffer.from(encoded, "base64url");
  if (body.length < IV_BYTES + TAG_BYTES + 1) return undefined;
  return {
    header: tokenHeader(keyId),
    keyId,
    iv: body.subarray(0, IV_BYTES),
    ciphertext: body.subarray(IV_BYTES, body.length - TAG_BYTES),
    tag: body.subarray(body.length - TAG_BYTES),
  };
}
