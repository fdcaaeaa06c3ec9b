import type { Keyring } from "../crypto/keyring.ts";

/** The keyring purpose of signed cookies, so their signatures are valid for nothing else. */
export const SIGNED_COOKIE_PURPOSE = "cookie";

/**
 * `value.signature`: an HMAC over `name=value`, so a signed value copied into a cookie of
 * another name does not verify. The signature is base64url and so never contains a dot; the
 * last dot separates it even when the value has dots of its own.
 */
export function signCookieValue(keyring: Keyring, name: string, value: string): string {
  return `${value}.${keyring.sign(SIGNED_COOKIE_PURPOSE, `${name}=${value}`)}`;
}

/** The value inside `signed` when its signature verifies for `name`; which key matched, too. */
export function unsignCookieValue(
  keyring: Keyring,
  name: string,
  signed: string,
): { value: string; rotated: boolean } | undefined {
  const dot = signed.lastIndexOf(".");
  if (dot === -1) return undefined;
  const value = signed.slice(0, dot);
  const verification = keyring.verify(
    SIGNED_COOKIE_PURPOSE,
    `${name}=${value}`,
    signed.slice(dot + 1),
  );
  return verification.valid ? { value, rotated: verification.rotated } : undefined;
}
