/**
 * The signed session-id cookies of express-session and @fastify/session: `<id>.<signature>`,
 * the signature being HMAC-SHA256 of the id, in standard base64 without its `=` padding (the
 * `cookie-signature` package's format, which @fastify/cookie's signer shares). The last dot
 * separates it, ids may hold dots of their own.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The id `signed` carries when one of `secrets` signed it, else undefined. */
export function unsignId(
  signed: string,
  secrets: readonly string[],
  algorithm: string,
): string | undefined {
  const dot = signed.lastIndexOf(".");
  if (dot <= 0 || dot === signed.length - 1) return undefined;
  const id = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  for (const secret of secrets) {
    const expected = Buffer.from(
      createHmac(algorithm, secret).update(id).digest("base64").replace(/=+$/, ""),
    );
    // The comparison takes the same time wherever the first difference is.
    if (expected.length === given.length && timingSafeEqual(expected, given)) return id;
  }
  return undefined;
}
