import type { Cookies, CookieWriter } from "../cookies/jar.ts";
import type { CookieOptions } from "../cookies/options.ts";
import { serializeSetCookie } from "../cookies/serialize.ts";
import type { Keyring } from "../crypto/keyring.ts";
import { isWellFormedSessionId } from "../crypto/session-id.ts";
import type { ResolvedOptions } from "../engine/options.ts";

/** Keys signing session ids are derived for this purpose only. */
const PURPOSE = "session-id";

/**
 * How many signatures are remembered, each way. An HMAC costs several microseconds on a busy
 * server (more than everything else a session read does), and a browser sends the same cookie
 * on every request, so verifying (and signing) each value once per process saves the most.
 */
const CACHE_SIZE = 4_096;

interface AttributeText {
  readonly maxAgeSeconds: number | undefined;
  readonly valueLength: number;
  readonly second: number;
  readonly text: string;
}

export interface CookieId {
  readonly id: string;
  /** An older secret signed it: send the cookie again, signed with the newest. */
  readonly rotated: boolean;
}

/**
 * The server-side transport: the cookie carries only `<id>.<HMAC-SHA256(id)>`, and the data
 * stays in the store. A forged or damaged cookie never reaches the store.
 */
export class IdCookieTransport {
  readonly #keyring: Keyring;
  readonly #cookie: ResolvedOptions["cookie"];
  /**
   * Cookie values whose signature verified, exactly as sent. Only a value that passed the
   * constant-time check gets in, so a hit proves what the check proved; a miss (a new, forged or
   * evicted value) is verified in full. The cache belongs to this manager and its keyring.
   */
  readonly #verified = new Map<string, CookieId>();
  /** Signed cookie values by id: a session re-sends its cookie on writes, with the same value. */
  readonly #signed = new Map<string, string>();
  /** The latest attribute text for plain-HTTP requests [0] and HTTPS ones [1]. */
  readonly #attributeTexts: (AttributeText | undefined)[] = [undefined, undefined];

  constructor(options: Pick<ResolvedOptions, "keyring" | "cookie">) {
    this.#keyring = options.keyring;
    this.#cookie = options.cookie;
  }

  /** Whether the request carries a session cookie at all (valid or not). */
  present(cookies: Cookies): boolean {
    return cookies.has(this.#cookie.name);
  }

  /**
   * Every cookie of that name whose signature verifies, in the order the browser sent them.
   * Browsers send one cookie per matching path and domain, and a sibling subdomain may plant one
   * of the same name ("cookie tossing"), so the engine tries each against the store rather than
   * trusting the first.
   */
  read(cookies: Cookies): CookieId[] {
    const found: CookieId[] = [];
    for (const value of cookies.getAll(this.#cookie.name)) {
      const verified = this.#verified.get(value) ?? this.#verify(value);
      if (verified !== undefined && !found.some((other) => other.id === verified.id)) {
        found.push(verified);
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
    const value = this.#sign(id);
    const name = this.#cookie.name;
    const header = `${name}=${value}${this.#attributesText(value.length, maxAgeSeconds, requestIsSecure)}`;
    cookies.setSerialized(name, this.#cookie, header);
  }

  /**
   * Everything after `name=value` in the Set-Cookie header, as the cookie layer writes it (and
   * checks it: size included). The text changes only with Secure, Max-Age and the second that
   * Expires falls on, so it is built once per second per kind of request, not per write.
   */
  #attributesText(valueLength: number, maxAgeSeconds: number | undefined, secure: boolean): string {
    const second = Math.floor(Date.now() / 1_000);
    const slot = secure ? 1 : 0;
    const cached = this.#attributeTexts[slot];
    if (
      cached !== undefined &&
      cached.maxAgeSeconds === maxAgeSeconds &&
      cached.valueLength === valueLength &&
      (maxAgeSeconds === undefined || cached.second === second)
    ) {
      return cached.text;
    }
    // A stand-in of the same length: the cookie layer then checks the real header's size.
    const placeholder = "x".repeat(valueLength);
    const name = this.#cookie.name;
    const header = serializeSetCookie(
      name,
      placeholder,
      {
        ...this.#attributes(secure),
        ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
      },
      secure,
    );
    const text = header.slice(name.length + 1 + valueLength);
    this.#attributeTexts[slot] = { maxAgeSeconds, valueLength, second, text };
    return text;
  }

  /** Tells the browser to drop the cookie, with the attributes it was set with. */
  clear(cookies: CookieWriter, requestIsSecure: boolean): void {
    cookies.delete(this.#cookie.name, this.#attributes(requestIsSecure));
  }

  #attributes(requestIsSecure: boolean): CookieOptions {
    const { name: _name, secure, ...attributes } = this.#cookie;
    return { ...attributes, secure: secure === "auto" ? requestIsSecure : secure };
  }

  #sign(id: string): string {
    let value = this.#signed.get(id);
    if (value === undefined) {
      value = `${id}.${this.#keyring.sign(PURPOSE, id)}`;
      remember(this.#signed, id, value);
    }
    return value;
  }

  #verify(value: string): CookieId | undefined {
    const dot = value.indexOf(".");
    if (dot <= 0) return undefined;
    const id = value.slice(0, dot);
    if (!isWellFormedSessionId(id)) return undefined;
    const verification = this.#keyring.verify(PURPOSE, id, value.slice(dot + 1));
    if (!verification.valid) return undefined;
    const verified = { id, rotated: verification.rotated };
    remember(this.#verified, value, verified);
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
