import {
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";
import { type Secret, secretBytes } from "../../crypto/secret.ts";
import { ConfigError } from "../../errors.ts";
import { base64Decode, base64Encode, bytesToInt, intToBytes } from "./base64.ts";

/**
 * itsdangerous's `Signer` and `TimestampSigner` (signer.py, timed.py), byte for byte.
 *
 * Secrets: tessera lists secrets newest first; itsdangerous 2.x takes a list oldest to newest
 * (`secret_keys[-1]` signs, `reversed(secret_keys)` verifies). So tessera's `[newest, older]` is
 * itsdangerous's `[older, newest]`: the same key signs and the same keys verify, in the same
 * order. Flask 2.2 gives the serializer only `SECRET_KEY` (one key); Flask 2.3+ adds
 * `SECRET_KEY_FALLBACKS`, passed as `[*fallbacks, SECRET_KEY]`.
 */

/** How the HMAC key is derived from a secret and the salt (`key_derivation`). */
export type KeyDerivation = "hmac" | "django-concat" | "concat" | "none";

export interface SignerOptions {
  /** One secret, or a list newest first: the first signs, every one verifies. */
  readonly secrets: Secret | readonly Secret[];
  /** Default `itsdangerous.Signer`, as in itsdangerous. */
  readonly salt?: string;
  /** Default `django-concat`, as in itsdangerous; Flask's sessions use `hmac`. */
  readonly keyDerivation?: KeyDerivation;
  /** A `node:crypto` hash name; default `sha1`, as in itsdangerous. */
  readonly digest?: string;
}

export interface Unsigned {
  readonly value: string;
  /** An older secret matched: re-issue with the newest. */
  readonly rotated: boolean;
}

/** The base64url alphabet, for a signature compared as text. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export class Signer {
  /** Derived HMAC keys, newest first. */
  /** As KeyObjects: node:crypto would otherwise import a Buffer key on every HMAC. */
  readonly #keys: readonly (KeyObject | Buffer)[];
  readonly #digest: string;
  /** The length of a signature: the digest's size in unpadded base64url. */
  readonly #signatureLength: number;

  constructor(options: SignerOptions) {
    const list: readonly Secret[] = Array.isArray(options.secrets)
      ? options.secrets
      : [options.secrets as Secret];
    if (list.length === 0) throw new ConfigError("The signer needs at least one secret.");
    const salt = Buffer.from(options.salt ?? "itsdangerous.Signer", "utf8");
    const derivation = options.keyDerivation ?? "django-concat";
    this.#digest = options.digest ?? "sha1";
    this.#keys = list.map((secret) => {
      const key = deriveKey(secretBytes(secret), salt, derivation, this.#digest);
      // An empty key (derivation "none" of an empty secret) cannot be a KeyObject.
      return key.length > 0 ? createSecretKey(key) : key;
    });
    this.#signatureLength = Math.ceil((createHash(this.#digest).digest().length * 4) / 3);
  }

  /** `value.signature`. */
  sign(value: string): string {
    return `${value}.${this.signature(value)}`;
  }

  /** The base64 signature of `value` with the newest key (`get_signature`). */
  signature(value: string): string {
    return this.#mac(this.#keys[0] as KeyObject, value);
  }

  /**
   * Checks the signature after the last `.` against every key, in constant time per key. Only
   * the canonical spelling of a signature (unpadded base64url, no stray bits) is accepted,
   * which is the one signature() writes: the text is compared with it, as bytes.
   */
  unsign(signed: string): Unsigned | undefined {
    const dot = signed.lastIndexOf(".");
    if (dot < 0) return undefined;
    const signature = signed.slice(dot + 1);
    // Within the alphabet, so that each character is one byte below (latin1 would fold others).
    if (signature.length !== this.#signatureLength || !BASE64URL.test(signature)) return undefined;
    const given = Buffer.from(signature, "latin1");
    const value = signed.slice(0, dot);
    for (let index = 0; index < this.#keys.length; index++) {
      const expected = Buffer.from(this.#mac(this.#keys[index] as KeyObject, value), "latin1");
      if (timingSafeEqual(expected, given)) return { value, rotated: index > 0 };
    }
    return undefined;
  }

  /**
   * The HMAC in base64url. Asked of node:crypto as text: a digest returned as a Buffer costs
   * more than the HMAC of a cookie itself.
   */
  #mac(key: KeyObject | Buffer, value: string): string {
    return createHmac(this.#digest, key).update(value, "utf8").digest("base64url");
  }
}

function deriveKey(
  secret: Buffer,
  salt: Buffer,
  derivation: KeyDerivation,
  digest: string,
): Buffer {
  switch (derivation) {
    case "hmac":
      return createHmac(digest, secret).update(salt).digest();
    case "django-concat":
      return createHash(digest).update(salt).update("signer").update(secret).digest();
    case "concat":
      return createHash(digest).update(salt).update(secret).digest();
    case "none":
      return secret;
    default:
      throw new ConfigError(`Unknown key derivation ${JSON.stringify(derivation)}.`);
  }
}

export interface TimestampSignerOptions extends SignerOptions {
  /** The clock, in milliseconds like `Date.now` (the default); timestamps are whole seconds. */
  readonly now?: () => number;
}

export interface TimestampUnsigned extends Unsigned {
  /** When it was signed, in Unix seconds. */
  readonly timestamp: number;
}

/** `value.timestamp.signature`, the signature covering `value.timestamp`. */
export class TimestampSigner {
  readonly #signer: Signer;
  readonly #now: () => number;
  /** The last timestamp signed and its base64: most requests fall in the same second. */
  #stamp = 0;
  #stampText = ""; // int_to_bytes(0) is empty

  constructor(options: TimestampSignerOptions) {
    this.#signer = new Signer(options);
    this.#now = options.now ?? Date.now;
  }

  /** Now, in whole Unix seconds (`int(time.time())`). */
  timestamp(): number {
    return Math.floor(this.#now() / 1000);
  }

  sign(value: string, timestamp: number = this.timestamp()): string {
    if (timestamp !== this.#stamp) {
      // Throws (an ArgumentError) before anything is kept for a timestamp that is not one.
      this.#stampText = base64Encode(intToBytes(timestamp));
      this.#stamp = timestamp;
    }
    return this.#signer.sign(`${value}.${this.#stampText}`);
  }

  /**
   * The value if the signature matches any key and, when `maxAgeSeconds` is given, its age is
   * between 0 and `maxAgeSeconds` inclusive (itsdangerous: `age > max_age` or `age < 0` expire).
   */
  unsign(signed: string, maxAgeSeconds?: number): TimestampUnsigned | undefined {
    const unsigned = this.#signer.unsign(signed);
    if (unsigned === undefined) return undefined;
    const dot = unsigned.value.lastIndexOf(".");
    if (dot < 0) return undefined;
    const stampText = unsigned.value.slice(dot + 1);
    const timestamp = stampText === this.#stampText ? this.#stamp : decodeTimestamp(stampText);
    if (timestamp === undefined) return undefined;
    if (maxAgeSeconds !== undefined) {
      const age = this.timestamp() - timestamp;
      if (age > maxAgeSeconds || age < 0) return undefined;
    }
    return { value: unsigned.value.slice(0, dot), timestamp, rotated: unsigned.rotated };
  }
}

/** The timestamp in its canonical base64, or undefined. */
function decodeTimestamp(text: string): number | undefined {
  const bytes = base64Decode(text);
  return bytes === undefined ? undefined : bytesToInt(bytes);
}
