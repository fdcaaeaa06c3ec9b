/**
 * What a session cookie holds, for debugging (`tessera decode`): which of tessera's formats it
 * is, what can be read without the secret, and, given the secrets, whether it verifies. A Flask
 * cookie's payload is only signed, so it reads without the secret (as in Flask); a sealed
 * cookie's payload is encrypted, so only its key id shows without one; a session id cookie is
 * `<id>.<HMAC>` (tessera's, or Flask-Session's itsdangerous signature, or Flask-Session's bare
 * unsigned id), and only the secret can tell whether the signature is right.
 */
import { Keyring } from "../crypto/keyring.ts";
import type { Secret } from "../crypto/secret.ts";
import { flaskSessionIdSigner } from "../transport/id-signers.ts";
import { base64Decode, bytesToInt } from "./flask/base64.ts";
import { decodeFlaskSession } from "./flask/index.ts";
import { loadPayload } from "./flask/serializer.ts";
import type { FlaskValue } from "./flask/tagged-json.ts";
import { openSealed, readPlaintext, SealKeys } from "./sealed/index.ts";
import { parseToken } from "./sealed/token.ts";

export type CookieDescription =
  | {
      readonly format: "flask";
      /** The session data (readable without the secret: Flask cookies are signed, not sealed). */
      readonly payload: FlaskValue | undefined;
      /** When Flask (or tessera) signed it, Unix seconds. */
      readonly timestamp: number | undefined;
      readonly compressed: boolean;
      /** Undefined without secrets; true when one of them verifies the signature. */
      readonly verified: boolean | undefined;
      readonly rotated?: boolean;
    }
  | {
      readonly format: "sealed";
      readonly keyId: string;
      /** Only with the secret that sealed it. */
      readonly payload?: unknown;
      readonly expiresAt?: number;
      /** Authentic, but past its expiry: the app would no longer accept it. */
      readonly expired?: boolean;
      readonly verified: boolean | undefined;
      readonly rotated?: boolean;
    }
  | {
      readonly format: "session-id";
      readonly id: string;
      readonly verified: boolean | undefined;
      readonly rotated?: boolean;
    }
  | {
      /** Flask-Session's id cookie: `<id>.<itsdangerous signature>`, or the bare id unsigned. */
      readonly format: "flask-session-id";
      readonly id: string;
      readonly signed: boolean;
      /** Undefined without secrets (or for an unsigned id, which has nothing to verify). */
      readonly verified: boolean | undefined;
      readonly rotated?: boolean;
    }
  | { readonly format: "unknown"; readonly reason: string };

export interface DescribeOptions {
  /** The app's secrets, newest first; without them nothing is verified. */
  readonly secrets?: Secret | readonly Secret[];
  /** Flask's max age to verify against; by default any age is accepted. */
  readonly maxAgeSeconds?: number;
}

const SESSION_ID_COOKIE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;
/** Flask-Session's signed id: the signature is an HMAC-SHA1, 27 base64 characters. */
const FLASK_SESSION_ID_COOKIE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{27})$/;
const BARE_ID = /^[A-Za-z0-9_-]{43}$/;

/** A debugging tool reads the cookies of apps whose secret it cannot choose (a short Flask key). */
const ANY_SECRET_LENGTH = { dangerouslyAllowShortSecretToShareSessionsWithAnExistingApp: true };

export function describeCookie(value: string, options: DescribeOptions = {}): CookieDescription {
  const cookie = value.trim();
  if (parseToken(cookie) !== undefined) return describeSealed(cookie, options);
  const idCookie = SESSION_ID_COOKIE.exec(cookie);
  if (idCookie !== null)
    return describeSessionId(idCookie[1] as string, idCookie[2] as string, options);
  const flaskSessionId = FLASK_SESSION_ID_COOKIE.exec(cookie);
  if (flaskSessionId !== null) return describeFlaskSessionId(cookie, options);
  if (BARE_ID.test(cookie)) {
    // Flask-Session's default (SESSION_USE_SIGNER = False): the cookie is the id itself.
    return { format: "flask-session-id", id: cookie, signed: false, verified: undefined };
  }
  const lastDot = cookie.lastIndexOf(".");
  const timestampDot = cookie.lastIndexOf(".", lastDot - 1);
  if (lastDot <= 0 || timestampDot <= 0) {
    return {
      format: "unknown",
      reason:
        "not <payload>.<timestamp>.<signature> (Flask), v1.<key id>.<sealed>, <id>.<signature> nor a bare 43-character id",
    };
  }
  const payload = loadPayload(cookie.slice(0, timestampDot));
  const timestampBytes = base64Decode(cookie.slice(timestampDot + 1, lastDot));
  const timestamp = timestampBytes === undefined ? undefined : bytesToInt(timestampBytes);
  if (payload === undefined && timestamp === undefined) {
    return {
      format: "unknown",
      reason: "the payload and timestamp are not Flask's base64 and tagged JSON",
    };
  }
  let verified: boolean | undefined;
  let rotated: boolean | undefined;
  if (options.secrets !== undefined) {
    const decoded = decodeFlaskSession(cookie, {
      secrets: options.secrets,
      maxAgeSeconds: options.maxAgeSeconds ?? Number.MAX_SAFE_INTEGER,
    });
    verified = decoded !== undefined;
    rotated = decoded?.rotated;
  }
  return {
    format: "flask",
    payload: payload?.value,
    timestamp,
    compressed: cookie.startsWith("."),
    verified,
    ...(rotated === undefined ? {} : { rotated }),
  };
}

function describeSealed(cookie: string, options: DescribeOptions): CookieDescription {
  const token = parseToken(cookie);
  const keyId = token?.keyId ?? "";
  if (options.secrets === undefined) return { format: "sealed", keyId, verified: undefined };
  const keys = new SealKeys(options.secrets, ANY_SECRET_LENGTH);
  const authentic = openSealed(cookie, keys);
  if (authentic === undefined || authentic === "malformed") {
    return { format: "sealed", keyId, verified: false };
  }
  // Authentic but past its expiry reads at any time, as a debugging tool should show it.
  const opened = readPlaintext(authentic, Number.NEGATIVE_INFINITY);
  if (typeof opened === "string") return { format: "sealed", keyId, verified: false };
  return {
    format: "sealed",
    keyId,
    payload: opened.data,
    expiresAt: opened.expiresAt,
    expired: opened.expiresAt <= Date.now(),
    verified: true,
    rotated: opened.rotated,
  };
}

function describeSessionId(
  id: string,
  signature: string,
  options: DescribeOptions,
): CookieDescription {
  if (options.secrets === undefined) return { format: "session-id", id, verified: undefined };
  const verification = new Keyring(options.secrets, ANY_SECRET_LENGTH).verify(
    "session-id",
    id,
    signature,
  );
  return {
    format: "session-id",
    id,
    verified: verification.valid,
    ...(verification.valid ? { rotated: verification.rotated } : {}),
  };
}

function describeFlaskSessionId(cookie: string, options: DescribeOptions): CookieDescription {
  const id = cookie.slice(0, 43);
  if (options.secrets === undefined) {
    return { format: "flask-session-id", id, signed: true, verified: undefined };
  }
  const keyring = new Keyring(options.secrets, ANY_SECRET_LENGTH);
  const verification = flaskSessionIdSigner(keyring).verify(id, cookie.slice(44));
  return {
    format: "flask-session-id",
    id,
    signed: true,
    verified: verification.valid,
    ...(verification.valid ? { rotated: verification.rotated } : {}),
  };
}
