import { Signer } from "../codecs/flask/signer.ts";
import type { Keyring } from "../crypto/keyring.ts";

/** How a session id is signed in its cookie: `<id>.<signature>`. */
export interface IdSigner {
  /** The signature of `id` with the newest secret. */
  sign(id: string): string;
  /** Whether `signature` is `id`'s under some secret, and whether that secret was an older one. */
  verify(id: string, signature: string): { valid: false } | { valid: true; rotated: boolean };
}

/** Keys for signing ids are derived for this purpose only. */
const PURPOSE = "session-id";

/** tessera's own: HMAC-SHA256 with a key derived (HKDF) for ids alone, base64url. */
export function tesseraIdSigner(keyring: Keyring): IdSigner {
  return {
    sign: (id) => keyring.sign(PURPOSE, id),
    verify: (id, signature) => keyring.verify(PURPOSE, id, signature),
  };
}

/** The salt Flask-Session signs ids with. */
export const FLASK_SESSION_SALT = "flask-session";

/**
 * Flask-Session's (`SESSION_USE_SIGNER`): itsdangerous `Signer(app.secret_key,
 * salt="flask-session", key_derivation="hmac")`, SHA-1, so a Flask app with Flask-Session
 * accepts tessera's cookie and the other way round.
 */
export function flaskSessionIdSigner(keyring: Keyring): IdSigner {
  const signer = new Signer({
    secrets: keyring.secrets,
    salt: FLASK_SESSION_SALT,
    keyDerivation: "hmac",
    digest: "sha1",
  });
  return {
    sign: (id) => signer.signature(id),
    verify: (id, signature) => {
      const unsigned = signer.unsign(`${id}.${signature}`);
      return unsigned === undefined ? { valid: false } : { valid: true, rotated: unsigned.rotated };
    },
  };
}
