import {
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";
import { ConfigError } from "../errors.ts";
import { MIN_SECRET_BYTES, type Secret, secretBytes } from "./secret.ts";

export interface KeyringOptions {
  /**
   * Accept secrets shorter than 24 bytes. Only for sharing sessions with an existing app whose
   * key you cannot change yet; plan to rotate to a generated secret.
   */
  readonly dangerouslyAllowShortSecretToShareSessionsWithAnExistingApp?: boolean;
}

/** The outcome of checking a signature: which key matched tells whether to re-sign. */
export type Verification =
  | { readonly valid: false }
  | {
      readonly valid: true /** an older key matched: re-issue with the newest */;
      readonly rotated: boolean;
    };

const INVALID: Verification = Object.freeze({ valid: false });
const VALID_NEWEST: Verification = Object.freeze({ valid: true, rotated: false });
const VALID_ROTATED: Verification = Object.freeze({ valid: true, rotated: true });

/**
 * The application's secrets, newest first. The newest signs; every key verifies, so a secret can
 * be rotated by putting the new one in front and keeping the old one until its cookies expire.
 *
 * Each purpose ("session-id", "cookie", ...) gets its own HMAC key derived once with HKDF, so a
 * signature made for one purpose is never valid for another, and no request pays for derivation.
 */
export class Keyring {
  readonly #secrets: readonly Buffer[];
  readonly #keysByPurpose = new Map<string, readonly KeyObject[]>();

  constructor(secret: Secret | readonly Secret[] | undefined, options: KeyringOptions = {}) {
    const list = secret === undefined ? [] : isSecretList(secret) ? secret : [secret];
    if (list.length === 0) {
      throw new ConfigError(
        "No secret was given: pass `secret` (a string of at least 24 bytes, or a list of them, newest first). Make one with `npx tessera secret` or generateSecret(), and keep it in SECRET_KEY.",
      );
    }
    this.#secrets = list.map((entry, index) => {
      if (typeof entry !== "string" && !(entry instanceof Uint8Array)) {
        throw new ConfigError(
          `secret[${index}] must be a string or bytes; got ${entry === null ? "null" : typeof entry}.`,
        );
      }
      const bytes = secretBytes(entry);
      const allowShort = options.dangerouslyAllowShortSecretToShareSessionsWithAnExistingApp;
      if (bytes.length < MIN_SECRET_BYTES && !(allowShort && bytes.length > 0)) {
        throw new ConfigError(
          `The secret${list.length > 1 ? ` at position ${index}` : ""} is ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} are needed so its signatures cannot be forged by guessing the key. Make a strong one with \`npx tessera secret\` (or generateSecret()) and put it in SECRET_KEY. To keep sharing sessions with an existing app whose key you cannot change yet, pass dangerouslyAllowShortSecretToShareSessionsWithAnExistingApp: true.`,
        );
      }
      return bytes;
    });
  }

  /** How many secrets the ring holds (the first one signs). */
  get size(): number {
    return this.#secrets.length;
  }

  /**
   * Copies of the raw secrets, newest first, for formats that define their own key derivation
   * (Flask's). Copies, so no caller can change the keys this ring signs with.
   */
  get secrets(): Buffer[] {
    return this.#secrets.map((secret) => Buffer.from(secret));
  }

  /** HMAC-SHA256 of `data` with the newest key for `purpose`, as base64url. */
  sign(purpose: string, data: string): string {
    const [newest] = this.#keys(purpose);
    return createHmac("sha256", newest as KeyObject)
      .update(data)
      .digest("base64url");
  }

  /** `sign` with every key, newest first: what a value signed before a rotation may be under. */
  signEach(purpose: string, data: string): string[] {
    return this.#keys(purpose).map((key) =>
      createHmac("sha256", key).update(data).digest("base64url"),
    );
  }

  /** Checks `signature` against every key, in constant time per key. */
  verify(purpose: string, data: string, signature: string): Verification {
    const given = Buffer.from(signature, "base64url");
    // A base64url HMAC-SHA256 is 43 characters; anything else cannot match, and checking the
    // round trip rejects non-canonical spellings that would otherwise decode to the same bytes.
    if (given.length !== 32 || given.toString("base64url") !== signature) return INVALID;
    const keys = this.#keys(purpose);
    for (let index = 0; index < keys.length; index++) {
      const expected = createHmac("sha256", keys[index] as KeyObject)
        .update(data)
        .digest();
      if (timingSafeEqual(expected, given)) return index === 0 ? VALID_NEWEST : VALID_ROTATED;
    }
    return INVALID;
  }

  #keys(purpose: string): readonly KeyObject[] {
    let keys = this.#keysByPurpose.get(purpose);
    if (keys === undefined) {
      keys = this.#secrets.map((secret) =>
        createSecretKey(Buffer.from(hkdfSync("sha256", secret, "tessera", purpose, 32))),
      );
      this.#keysByPurpose.set(purpose, keys);
    }
    return keys;
  }
}

function isSecretList(secret: Secret | readonly Secret[]): secret is readonly Secret[] {
  return Array.isArray(secret);
}
