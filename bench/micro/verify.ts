/**
 * Verifying the session id cookie, as every request with a cookie does (format "id"):
 * IdCookieTransport.read takes the session cookie's values from the request's jar, checks the
 * id's shape and its HMAC-SHA256 (src/crypto/keyring.ts), and remembers a verified value, so a
 * browser re-sending the same cookie costs a cache lookup. A forged cookie is never cached: each
 * one costs a full HMAC. The bare signer and the app-level signed cookies (`cookies.getSigned`,
 * src/cookies/signing.ts) show the uncached cost.
 */
import { Cookies } from "../../src/cookies/jar.ts";
import { signCookieValue, unsignCookieValue } from "../../src/cookies/signing.ts";
import { newSessionId } from "../../src/crypto/session-id.ts";
import { resolveOptions } from "../../src/engine/options.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { IdCookieTransport } from "../../src/transport/id-cookie.ts";
import { tesseraIdSigner } from "../../src/transport/id-signers.ts";
import { type MicroCase, type MicroGroup, SECRET } from "./case.ts";

export const options = resolveOptions({ secret: SECRET, store: memoryStore() });
export const transport = new IdCookieTransport(options);
export const signer = tesseraIdSigner(options.keyring);

export const SESSION_ID = newSessionId();
export const SIGNATURE = signer.sign(SESSION_ID);
export const VALID_COOKIE = `${SESSION_ID}.${SIGNATURE}`;
/** A well-formed id with a well-formed signature of another id: it reaches the HMAC check. */
export const FORGED_SIGNATURE = signer.sign(newSessionId());
export const FORGED_COOKIE = `${SESSION_ID}.${FORGED_SIGNATURE}`;

const cookieName = options.cookie.name;
const VALID_HEADER = `${cookieName}=${VALID_COOKIE}`;
const FORGED_HEADER = `${cookieName}=${FORGED_COOKIE}`;

/** An app-level signed cookie (`cookies.setSigned("user", "alice")`). */
export const SIGNED_USER = signCookieValue(options.keyring, "user", "alice");

/** Each request gets its own jar, as the engine makes one per request. */
function jar(header: string): Cookies {
  return new Cookies(header, { requestIsSecure: false, keyring: options.keyring });
}

export const cases = {
  transportValid: {
    name: "IdCookieTransport.read: valid (cached)",
    fn: () => transport.read(jar(VALID_HEADER)),
  },
  transportForged: {
    name: "IdCookieTransport.read: forged",
    fn: () => transport.read(jar(FORGED_HEADER)),
  },
  signerValid: {
    name: "id signer verify: valid (full HMAC)",
    fn: () => signer.verify(SESSION_ID, SIGNATURE),
  },
  signerForged: {
    name: "id signer verify: forged (full HMAC)",
    fn: () => signer.verify(SESSION_ID, FORGED_SIGNATURE),
  },
  signedCookie: {
    name: "unsignCookieValue: app signed cookie",
    fn: () => unsignCookieValue(options.keyring, "user", SIGNED_USER),
  },
} satisfies Record<string, MicroCase>;

export const groups: readonly MicroGroup[] = [
  {
    name: "verify: session id cookie",
    cases: [cases.transportValid, cases.transportForged],
  },
  {
    name: "verify: HMAC-SHA256, uncached",
    cases: [cases.signerValid, cases.signerForged, cases.signedCookie],
  },
];

export async function close(): Promise<void> {
  await options.store?.close();
}
