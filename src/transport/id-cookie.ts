import type { Cookies, CookieWriter } from "../cookies/jar.ts";
import { isWellFormedSessionId } from "../crypto/session-id.ts";
import { reportRejectedCookie } from "../diagnostics.ts";
import type { ResolvedOptions, SessionFormat } from "../engine/options.ts";
import { flaskSessionIdSigner, type IdSigner, tesseraIdSigner } from "./id-signers.ts";
import { MAX_SESSION_COOKIE_CANDIDATES, SessionCookie } from "./session-cookie.ts";
import { VerifiedCache } from "./verified-cache.ts";

/**
 * How many signatures are remembered, each way. An HMAC costs several microseconds on a busy
 * server (more than everything else a session read does), and a browser sends the same cookie
 * on every request, so verifying (and signing) each value once per process saves the most.
 */
const CACHE_SIZE = 4_096;

export interface CookieId {
  readonly id: string;
  /** An older secret signed it: send the cookie again, signed with the newest. */
  readonly rotated: boolean;
}

/**
 * The server-side transport: the cookie carries only `<id>.<signature>` (tessera's HMAC-SHA256,
 * or Flask-Session's itsdangerous signature), and the data stays in the store. A forged or
 * damaged cookie never reaches the store.
 */
export class IdCookieTransport {
  /** Undefined for Flask-Session's unsigned ids (`SESSION_USE_SIGNER = False`). */
  readonly #signer: IdSigner | undefined;
  /** Which ids may reach the store: tessera's own 43 characters, or any Flask-Session id. */
  readonly #wellFormed: (id: string) => boolean;
  readonly #cookie: SessionCookie;
  readonly #format: SessionFormat;
  /**
   * Cookie values whose signature verified, exactly as sent. Only a value that passed the
   * constant-time check gets in, so a hit proves what the check proved; a miss (a new, forged or
   * evicted value) is verified in full. The cache belongs to this manager and its keyring.
   */
  readonly #verified = new VerifiedCache<CookieId>(CACHE_SIZE);
  /** Signed cookie values by id: a session re-sends its cookie on writes, with the same value. */
  readonly #signed = new Map<string, string>();

  constructor(options: Pick<ResolvedOptions, "keyring" | "cookie" | "format" | "signIds">) {
    this.#signer =
      options.format !== "flask-session"
        ? tesseraIdSigner(options.keyring)
        : options.signIds
          ? flaskSessionIdSigner(options.keyring)
          : undefined;
    this.#wellFormed =
      options.format === "flask-session" ? isFlaskSessionId : isWellFormedSessionId;
    this.#cookie = new SessionCookie(options.cookie);
    this.#format = options.format;
  }

  /** Whether the request carries a session cookie at all (valid or not). */
  present(cookies: Cookies): boolean {
    return this.#cookie.present(cookies);
  }

  /**
   * Every cookie of that name whose signature verifies, in the order the browser sent them.
   * Browsers send one cookie per matching path and domain, and a sibling subdomain may plant one
   * of the same name ("cookie tossing"), so the engine tries each against the store rather than
   * trusting the first.
   */
  read(cookies: Cookies): CookieId[] {
    const found: CookieId[] = [];
    for (const value of this.#cookie.values(cookies)) {
      const verified = this.#verified.get(value) ?? this.#verify(value);
      if (typeof verified === "string") {
        reportRejectedCookie(this.#format, this.#cookie.name, verified);
      } else if (!found.some((other) => other.id === verified.id)) {
        found.push(verified);
        if (found.length === MAX_SESSION_COOKIE_CANDIDATES) break;
      }
    }
    return found;
  }

  /** Sends the id; `maxAgeSeconds` undefined makes a browser-session cookie. */
  write(
    cookies: CookieWriter,
    id: string,
    maxAgeSeconds: number | undefined,
    requestIsSecure: boolean,
  ): void {
    this.#cookie.write(cookies, this.#sign(id), maxAgeSeconds, requestIsSecure);
  }

  /** Tells the browser to drop the cookie, with the attributes it was set with. */
  clear(cookies: CookieWriter, requestIsSecure: boolean): void {
    this.#cookie.clear(cookies, requestIsSecure);
  }

  #sign(id: string): string {
    if (this.#signer === undefined) return id;
    let value = this.#signed.get(id);
    if (value === undefined) {
      value = `${id}.${this.#signer.sign(id)}`;
      remember(this.#signed, id, value);
    }
    return value;
  }

  #verify(value: string): CookieId | "malformed" | "bad-signature" {
    if (this.#signer === undefined) {
      // Unsigned: the value is the id itself, and only a well-formed one reaches the store.
      return this.#wellFormed(value) ? { id: value, rotated: false } : "malformed";
    }
    const dot = value.indexOf(".");
    if (dot <= 0) return "malformed";
    const id = value.slice(0, dot);
    if (!this.#wellFormed(id)) return "malformed";
    const verification = this.#signer.verify(id, value.slice(dot + 1));
    if (!verification.valid) return "bad-signature";
    const verified = { id, rotated: verification.rotated };
    this.#verified.remember(value, verified);
    return verified;
  }
}

/** Adds to a bounded cache, dropping the oldest entry (a Map iterates in insertion order). */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}

/**
 * An id Flask-Session may have made: `secrets.token_urlsafe(SESSION_ID_LENGTH)` for any length
 * (43 characters by default) or, before 0.6, `str(uuid4())`. tessera's own new ids stay 256 bits.
 */
function isFlaskSessionId(id: string): boolean {
  return FLASK_SESSION_ID.test(id);
}

const FLASK_SESSION_ID = /^[A-Za-z0-9_-]{16,256}$/;
