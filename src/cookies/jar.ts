import type { Keyring } from "../crypto/keyring.ts";
import { CookieError, ResponseStartedError } from "../errors.ts";
import type { CookieOptions, DeletionOptions } from "./options.ts";
import { DEFAULT_PATH } from "./options.ts";
import { parseAllValues, parseCookieHeader } from "./parse.ts";
import { serializeDeletion, serializeSetCookie } from "./serialize.ts";
import { signCookieValue, unsignCookieValue } from "./signing.ts";

/**
 * The writer a jar keeps for the engine: it queues the session cookie even after `seal()`, while
 * the response is being started. Not exported from the package: applications use the jar.
 */
export let engineWriterOf: (jar: Cookies) => CookieWriter;

let queueIn: (jar: Cookies, name: string, scope: CookieScope, header: string) => void;
let isSecureRequest: (jar: Cookies) => boolean;

/** A jar's writer: one object with shared methods, made only for a response that may write. */
class JarWriter implements CookieWriter {
  readonly #jar: Cookies;

  constructor(jar: Cookies) {
    this.#jar = jar;
  }

  set(name: string, value: string, options: CookieOptions = {}): void {
    const jar = this.#jar;
    queueIn(jar, name, options, serializeSetCookie(name, value, options, isSecureRequest(jar)));
  }

  delete(name: string, options: DeletionOptions = {}): void {
    const jar = this.#jar;
    queueIn(jar, name, options, serializeDeletion(name, options, isSecureRequest(jar)));
  }

  setSerialized(name: string, scope: CookieScope, header: string): void {
    queueIn(this.#jar, name, scope, header);
  }
}

/** Shared by every response that sets no cookie, so the common case allocates nothing. */
const NOTHING_OUTGOING: readonly string[] = Object.freeze([]);

/** Shared by every request without a Cookie header. */
const NO_COOKIES: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

/** Writes Set-Cookie headers into a jar; what the engine keeps after the jar is sealed. */
export interface CookieWriter {
  set(name: string, value: string, options?: CookieOptions): void;
  delete(name: string, options?: DeletionOptions): void;
  /**
   * Queues a Set-Cookie header built elsewhere from options that were checked when they were
   * configured (the engine's own session cookie), so a busy server does not check and build
   * the same attributes on every write. `scope` is the cookie's path and domain.
   */
  setSerialized(name: string, scope: CookieScope, header: string): void;
}

/** What identifies a cookie besides its name (RFC 6265 §5.3 step 11). */
export type CookieScope = Pick<DeletionOptions, "path" | "domain">;

/** What a Cookies jar needs to know about its request. */
export interface CookiesContext {
  /** Whether the request came over HTTPS: the default for the Secure attribute. */
  readonly requestIsSecure: boolean;
  /** The application's secrets, for setSigned / getSigned / verifySigned. */
  readonly keyring?: Keyring | undefined;
}

/**
 * One request's cookies in, and the Set-Cookie headers of its response out.
 *
 * Reading (`get`, `getAll`, `has`, `all`, and the signed readers) always sees the cookies the
 * request carried: like Flask's `request.cookies`, what `set` or `delete` did in this response
 * is not reflected. The Cookie header is parsed on the first read, so a request that never reads
 * cookies pays nothing.
 *
 * Writing (`set`, `delete`, `setSigned`) checks everything at once and throws a CookieError at
 * the call, so the stack points at the caller. Each distinct (name, Path, Domain) is sent once:
 * a later `set` or `delete` of the same cookie in the same response replaces the earlier one.
 */
export class Cookies {
  readonly #header: string | undefined;
  readonly #requestIsSecure: boolean;
  readonly #keyring: Keyring | undefined;
  #incoming: Readonly<Record<string, string>> | undefined;
  /** Made on the first Set-Cookie: most responses send none. */
  #outgoing: Map<string, string> | undefined;
  #sealed = false;
  /** Made when first asked for (see engineWriterOf). */
  #writer: CookieWriter | undefined;

  constructor(cookieHeader: string | undefined, context: CookiesContext) {
    this.#header = cookieHeader;
    this.#requestIsSecure = context.requestIsSecure;
    this.#keyring = context.keyring;
  }

  /** The request's value of cookie `name` (the first, when the request sent several). */
  get(name: string): string | undefined {
    return this.#cookies()[name];
  }

  /** Every value the request sent for `name`, in header order (see parseAllValues). */
  getAll(name: string): string[] {
    return parseAllValues(this.#header, name);
  }

  /** Whether the request carried a cookie called `name`. */
  has(name: string): boolean {
    return Object.hasOwn(this.#cookies(), name);
  }

  /** All the request's cookies, name to first value, in a frozen null-prototype object. */
  all(): Readonly<Record<string, string>> {
    return this.#cookies();
  }

  /**
   * Sends cookie `name=value` with `options` over tessera's secure defaults (path "/", HttpOnly,
   * SameSite=Lax, Secure on HTTPS). Throws a CookieError for a cookie a browser would reject.
   */
  set(name: string, value: string, options: CookieOptions = {}): this {
    this.#assertOpen("set", name);
    this.#writerOf().set(name, value, options);
    return this;
  }

  /**
   * Tells the browser to drop cookie `name`. A browser deletes only the cookie with the same
   * name, Path and Domain (RFC 6265 §5.3 step 11), so pass the `path` and `domain` it was set
   * with (as with Flask's `delete_cookie`); `partitioned: true` for a partitioned cookie. The
   * options object given to `set` can be passed as is.
   */
  delete(name: string, options: DeletionOptions = {}): this {
    this.#assertOpen("delete", name);
    this.#writerOf().delete(name, options);
    return this;
  }

  /**
   * Sends `value` signed with the keyring's newest secret: `value.HMAC(name=value)`. Readers of
   * the cookie see the value, but cannot change it, or move it to another cookie name, without
   * the signature failing. It is signed, not encrypted: do not put secrets in it.
   */
  setSigned(name: string, value: string, options: CookieOptions = {}): this {
    const keyring = this.#requireKeyring("setSigned", name);
    if (typeof value !== "string") {
      throw new CookieError(
        `The value of signed cookie ${JSON.stringify(name)} must be a string; got ${value === null ? "null" : typeof value}. Convert it first (String(value), or JSON.stringify for objects).`,
      );
    }
    return this.set(name, signCookieValue(keyring, name, value), options);
  }

  /**
   * The value of signed cookie `name`, or undefined when it is missing, unsigned, tampered with,
   * signed for another name or with an unknown secret.
   */
  getSigned(name: string): string | undefined {
    return this.verifySigned(name)?.value;
  }

  /**
   * Like getSigned, and tells whether an older secret signed it (`rotated`): then re-issue the
   * cookie with setSigned so it moves to the newest secret. When the request carries several
   * cookies of this name, the first that verifies wins, so a planted twin cannot hide it.
   */
  verifySigned(name: string): { value: string; rotated: boolean } | undefined {
    const keyring = this.#requireKeyring("verifySigned", name);
    for (const signed of this.getAll(name)) {
      const verified = unsignCookieValue(keyring, name, signed);
      if (verified !== undefined) return verified;
    }
    return undefined;
  }

  /**
   * Ends the application's part: from now on `set`, `delete` and `setSigned` throw, because the
   * response has started and a cookie set now could never reach the browser. The engine keeps
   * writing its own cookie (see engineWriterOf), as part of starting the response.
   */
  seal(): void {
    this.#sealed = true;
  }

  /** Forgets every Set-Cookie queued so far: the response that would carry them is not sent. */
  discardOutgoing(): void {
    this.#outgoing?.clear();
  }

  static {
    engineWriterOf = (jar) => jar.#writerOf();
    queueIn = (jar, name, scope, header) => jar.#queue(name, scope, header);
    isSecureRequest = (jar) => jar.#requestIsSecure;
  }

  /** The Set-Cookie header values to send, in the order their cookies were last written. */
  get outgoing(): readonly string[] {
    const outgoing = this.#outgoing;
    return outgoing === undefined || outgoing.size === 0
      ? NOTHING_OUTGOING
      : Array.from(outgoing.values());
  }

  #writerOf(): CookieWriter {
    this.#writer ??= new JarWriter(this);
    return this.#writer;
  }

  #cookies(): Readonly<Record<string, string>> {
    if (this.#incoming === undefined) {
      this.#incoming =
        this.#header === undefined || this.#header === ""
          ? NO_COOKIES
          : Object.freeze(parseCookieHeader(this.#header));
    }
    return this.#incoming;
  }

  #queue(name: string, options: CookieScope, header: string): void {
    // RFC 6265 §5.3 step 11: a cookie is identified by name, path and domain. Domains compare
    // case-insensitively and without a leading dot (§5.2.3).
    const domain = options.domain?.toLowerCase().replace(/^\./, "") ?? "";
    const key = `${name}\n${options.path ?? DEFAULT_PATH}\n${domain}`;
    this.#outgoing ??= new Map();
    this.#outgoing.delete(key); // re-inserted last, so the order follows the latest write
    this.#outgoing.set(key, header);
  }

  #assertOpen(method: string, name: string): void {
    if (this.#sealed) {
      throw new ResponseStartedError(
        `cookies.${method}(${JSON.stringify(name)}) came after the response started, so the browser would never see it. Set and delete cookies before the response starts (before its status and headers are sent).`,
      );
    }
  }

  #requireKeyring(method: string, name: string): Keyring {
    if (this.#keyring === undefined) {
      throw new CookieError(
        `Cookies.${method}(${JSON.stringify(name)}) needs a secret to sign with, but none was given. Pass a secret (at least 24 bytes; make one with \`npx tessera secret\` and keep it in SECRET_KEY) in the tessera options, or pass { keyring: new Keyring(process.env.SECRET_KEY) } when constructing Cookies yourself.`,
      );
    }
    return this.#keyring;
  }
}
