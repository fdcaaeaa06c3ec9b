import { createSecretKey, hkdfSync, type KeyObject } from "node:crypto";
import { Keyring, type KeyringOptions } from "../../crypto/keyring.ts";
import type { Secret } from "../../crypto/secret.ts";

/** HKDF salt for every sealed-cookie key; a new format version gets a new salt. */
export const SEAL_HKDF_SALT = "tessera sealed cookie v1";
/** HKDF info for the AES-256-GCM key. */
export const SEAL_KEY_INFO = "aes-256-gcm";
/** HKDF info for the key id: a separate output, so the id tells nothing about the key. */
export const SEAL_KEY_ID_INFO = "key id";
/** Key id bytes: 6, so 8 base64url characters with no padding bits. */
const KEY_ID_BYTES = 6;

/** One derived key and the public id a cookie sealed with it carries. */
export interface SealKey {
  readonly id: string;
  readonly key: KeyObject;
}

/**
 * The AES-256-GCM keys for sealed cookies, derived once from the secrets (newest first): the
 * newest seals, every key opens. Secrets are checked by the Keyring's rules (at least 24 bytes).
 *
 * Per secret: key = HKDF-SHA256(secret, salt "tessera sealed cookie v1", info "aes-256-gcm", 32);
 * id = base64url(HKDF-SHA256(secret, same salt, info "key id", 6)). The id is a separate HKDF
 * output, so it reveals nothing about the key or the secret; it only says which key sealed a
 * cookie. The salt differs from the Keyring's HMAC keys ("tessera"), so no key is shared between
 * signing and sealing.
 */
export class SealKeys {
  readonly #keys: readonly SealKey[];

  constructor(secrets: Keyring | Secret | readonly Secret[], options: KeyringOptions = {}) {
    const keyring = secrets instanceof Keyring ? secrets : new Keyring(secrets, options);
    this.#keys = keyring.secrets.map((secret) => ({
      id: Buffer.from(
        hkdfSync("sha256", secret, SEAL_HKDF_SALT, SEAL_KEY_ID_INFO, KEY_ID_BYTES),
      ).toString("base64url"),
      key: createSecretKey(
        Buffer.from(hkdfSync("sha256", secret, SEAL_HKDF_SALT, SEAL_KEY_INFO, 32)),
      ),
    }));
  }

  /** The key that seals: the newest. */
  get newest(): SealKey {
    return this.#keys[0] as SealKey;
  }

  /** The key ids, newest first (public: they appear in every cookie). */
  get ids(): string[] {
    return this.#keys.map((key) => key.id);
  }

  /**
   * The keys whose id is `id`, with their position (0 = newest). Usually one; two only when the
   * same secret is listed twice (or, with negligible odds, ids collide), so each is tried.
   */
  *withId(id: string): Generator<{ readonly key: KeyObject; readonly index: number }> {
    for (let index = 0; index < this.#keys.length; index++) {
      const entry = this.#keys[index] as SealKey;
      if (entry.id === id) yield { key: entry.key, index };
    }
  }
}
