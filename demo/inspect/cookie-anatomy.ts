/**
 * The session cookie taken apart for the inspector: which format it is, its parts in order (so
 * the page can colour them inside the cookie as sent), and whether the demo's secret verifies it.
 */
import { createHash } from "node:crypto";
import { describeCookie } from "../../src/codecs/describe.ts";
import { base64Decode, bytesToInt } from "../../src/codecs/flask/base64.ts";

export type PartKind = "id" | "signature" | "payload" | "timestamp" | "header" | "sealed" | "value";

export interface CookiePart {
  readonly kind: PartKind;
  readonly text: string;
}

export interface CookieAnatomy {
  readonly format: "session-id" | "flask" | "sealed" | "unknown";
  /** The cookie's parts in order; joined with "." they give the cookie back. */
  readonly parts: readonly CookiePart[];
  /** Whether the demo's secret verifies it (a sealed cookie: decrypts it). */
  readonly verified: boolean;
  /** The session id a verified id cookie names. */
  readonly id?: string;
  /** What a Flask or sealed cookie carries, when it could be read. */
  readonly payload?: unknown;
  /** When a Flask cookie was signed (ms since the epoch). */
  readonly signedAt?: number;
  /** A sealed cookie's key id, as written in its header. */
  readonly keyId?: string;
  /** When a sealed cookie stops being accepted (ms since the epoch). */
  readonly expiresAt?: number;
  readonly compressed?: boolean;
  /** Why an unknown cookie is not one of tessera's formats. */
  readonly reason?: string;
}

/** What each of the demo's session formats spells its cookie as. */
const EXPECTED = { id: "session-id", flask: "flask", sealed: "sealed" } as const;

/**
 * Takes `value` apart and checks it against `secret` (never throws, whatever the cookie holds).
 * A cookie in another format than the app's is not taken apart as if it were one: the app
 * would not read it either.
 */
export function anatomize(
  value: string,
  secret: string,
  format: keyof typeof EXPECTED,
): CookieAnatomy {
  const description = describeCookie(value, { secrets: secret });
  const pieces = value.split(".");
  // A Flask-looking cookie whose payload does not even decode is no Flask cookie.
  const unreadable =
    description.format === "flask" &&
    description.payload === undefined &&
    description.verified !== true;
  if (description.format !== EXPECTED[format] || unreadable) {
    return {
      format: "unknown",
      parts: [{ kind: "value", text: value }],
      verified: false,
      reason: `not a ${EXPECTED[format]} cookie, the format this app uses`,
    };
  }
  switch (description.format) {
    case "session-id":
      return {
        format: "session-id",
        parts: [
          { kind: "id", text: pieces[0] ?? "" },
          { kind: "signature", text: pieces[1] ?? "" },
        ],
        verified: description.verified === true,
        ...(description.verified === true ? { id: description.id } : {}),
      };
    case "flask": {
      // A compressed payload starts with "." (itsdangerous), so the first piece is empty.
      const compressed = description.compressed;
      const payload = compressed ? `.${pieces[1] ?? ""}` : (pieces[0] ?? "");
      const timestamp = pieces.at(-2) ?? "";
      const bytes = base64Decode(timestamp);
      const seconds = bytes === undefined ? undefined : bytesToInt(bytes);
      return {
        format: "flask",
        parts: [
          { kind: "payload", text: payload },
          { kind: "timestamp", text: timestamp },
          { kind: "signature", text: pieces.at(-1) ?? "" },
        ],
        verified: description.verified === true,
        payload: description.payload,
        compressed,
        ...(seconds === undefined ? {} : { signedAt: seconds * 1000 }),
      };
    }
    case "sealed":
      return {
        format: "sealed",
        parts: [
          { kind: "header", text: `${pieces[0]}.${pieces[1]}` },
          { kind: "sealed", text: pieces.slice(2).join(".") },
        ],
        verified: description.verified === true,
        keyId: description.keyId,
        ...(description.verified === true
          ? {
              payload: description.payload,
              ...(description.expiresAt === undefined ? {} : { expiresAt: description.expiresAt }),
            }
          : {}),
      };
  }
}

/**
 * Names a secret without revealing it: the first 8 hex digits of its SHA-256. The inspector
 * says which key verified a cookie this way, as a rotation would list several.
 */
export function fingerprint(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 8);
}

/**
 * The cookie with one character changed, as an attacker editing it would: the character in the
 * middle of its last part (the signature, or a sealed cookie's ciphertext), replaced by another
 * base64url character that changes its value. Returns the position and both characters too.
 */
export function tamper(value: string): { value: string; index: number; from: string; to: string } {
  const lastDot = value.lastIndexOf(".");
  const start = lastDot + 1;
  const index = start + Math.floor((value.length - start) / 2);
  const from = value[index] ?? "";
  // Changing the high bits (A <-> g) alters a base64 digit's value wherever it sits, even the
  // last one, whose low bits may be unused.
  const to = from === "A" ? "g" : "A";
  return { value: value.slice(0, index) + to + value.slice(index + 1), index, from, to };
}
