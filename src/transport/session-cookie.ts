import type { Cookies, CookieWriter } from "../cookies/jar.ts";
import type { CookieOptions } from "../cookies/options.ts";
import { serializeSetCookie } from "../cookies/serialize.ts";
import { assertSetCookieSize, MAX_SET_COOKIE_BYTES } from "../cookies/size.ts";
import type { ResolvedOptions } from "../engine/options.ts";

/**
 * How many values of the session cookie's name one request may have looked at. A browser sends
 * one per matching Path and Domain, so two or three are legitimate; past the cap, later values
 * (in header order: most specific path first) are ignored, so a hostile header costs at most
 * this many signature checks or decryptions. Junk planted ahead of the real cookie by a sibling
 * subdomain ("cookie tossing") can still push it past the cap: the `__Host-` prefix prevents
 * the planting itself.
 */
export const MAX_SESSION_COOKIE_VALUES = 16;

/**
 * Of those, how many validly signed ids one request may look up in the store: a request with
 * hundreds of signed dead ids would otherwise cost a store round trip for each.
 */
export const MAX_SESSION_COOKIE_CANDIDATES = 4;

interface AttributeText {
  readonly maxAgeSeconds: number | undefined;
  readonly second: number;
  readonly text: string;
  /** The header's size in bytes without the value. */
  readonly bytesBesidesValue: number;
}

/**
 * The session cookie itself, whatever it carries (a signed id, or the whole session): its name,
 * its configured attributes, and the Set-Cookie text for them.
 */
export class SessionCookie {
  readonly #cookie: ResolvedOptions["cookie"];
  /** The latest attribute text for plain-HTTP requests [0] and HTTPS ones [1]. */
  readonly #attributeTexts: (AttributeText | undefined)[] = [undefined, undefined];

  constructor(cookie: ResolvedOptions["cookie"]) {
    this.#cookie = cookie;
  }

  get name(): string {
    return this.#cookie.name;
  }

  /** Whether the request carries a session cookie at all (valid or not). */
  present(cookies: Cookies): boolean {
    // The values of this one name: parsing every cookie of the header to ask costs more.
    return cookies.getAll(this.#cookie.name).length > 0;
  }

  /**
   * The values the request sent under the session cookie's name, in header order, at most
   * MAX_SESSION_COOKIE_VALUES of them. Browsers send one cookie per matching path and
   * domain, and a sibling subdomain may plant one of the same name ("cookie tossing"), so
   * callers try each rather than trusting the first.
   */
  values(cookies: Cookies): string[] {
    const values = cookies.getAll(this.#cookie.name);
    return values.length > MAX_SESSION_COOKIE_VALUES
      ? values.slice(0, MAX_SESSION_COOKIE_VALUES)
      : values;
  }

  /**
   * Queues the cookie with `value` (already in cookie-safe characters); `maxAgeSeconds`
   * undefined makes a browser-session cookie. Throws a CookieError when the header would pass
   * 4096 bytes.
   */
  write(
    writer: CookieWriter,
    value: string,
    maxAgeSeconds: number | undefined,
    requestIsSecure: boolean,
  ): void {
    const name = this.#cookie.name;
    const attributes = this.#attributesText(maxAgeSeconds, requestIsSecure);
    if (attributes.bytesBesidesValue + value.length > MAX_SET_COOKIE_BYTES) {
      // The cookie layer's own check, with its message naming the size.
      assertSetCookieSize(name, `${name}=${value}${attributes.text}`);
    }
    writer.setSerialized(name, this.#cookie, `${name}=${value}${attributes.text}`);
  }

  /** The most bytes a value may have for the cookie to fit in one Set-Cookie header now. */
  maxValueBytes(maxAgeSeconds: number | undefined, requestIsSecure: boolean): number {
    return (
      MAX_SET_COOKIE_BYTES - this.#attributesText(maxAgeSeconds, requestIsSecure).bytesBesidesValue
    );
  }

  /** Tells the browser to drop the cookie, with the attributes it was set with. */
  clear(writer: CookieWriter, requestIsSecure: boolean): void {
    writer.delete(this.#cookie.name, this.#attributes(requestIsSecure));
  }

  /**
   * Everything after `name=value` in the Set-Cookie header, as the cookie layer writes it. The
   * text changes only with Secure, Max-Age and the second that Expires falls on, so it is built
   * once per second per kind of request, not per write. Values are cookie-safe ASCII (base64,
   * signed ids), so a value's length is its size and the size check is arithmetic.
   */
  #attributesText(maxAgeSeconds: number | undefined, secure: boolean): AttributeText {
    const second = Math.floor(Date.now() / 1_000);
    const slot = secure ? 1 : 0;
    const cached = this.#attributeTexts[slot];
    if (
      cached !== undefined &&
      cached.maxAgeSeconds === maxAgeSeconds &&
      (maxAgeSeconds === undefined || cached.second === second)
    ) {
      return cached;
    }
    const name = this.#cookie.name;
    const header = serializeSetCookie(
      name,
      "x",
      {
        ...this.#attributes(secure),
        ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
      },
      secure,
    );
    const text = header.slice(name.length + 2);
    const built = {
      maxAgeSeconds,
      second,
      text,
      bytesBesidesValue: Buffer.byteLength(header, "utf8") - 1,
    };
    this.#attributeTexts[slot] = built;
    return built;
  }

  #attributes(requestIsSecure: boolean): CookieOptions {
    const { name: _name, secure, ...attributes } = this.#cookie;
    return { ...attributes, secure: secure === "auto" ? requestIsSecure : secure };
  }
}
