import { CookieError } from "../errors.ts";

/**
 * RFC 6265 §6.1: user agents should store cookies of at least 4096 bytes, measured over name,
 * value and attributes, and that is what they do in practice; rfc6265bis §5.6 drops any cookie
 * whose name and value exceed 4096 octets. A bigger Set-Cookie is silently discarded by the
 * browser, so it is an error here instead.
 */
export const MAX_SET_COOKIE_BYTES = 4096;

/** Throws unless the whole Set-Cookie header value fits in 4096 bytes. */
export function assertSetCookieSize(cookieName: string, header: string): void {
  const bytes = Buffer.byteLength(header, "utf8");
  if (bytes > MAX_SET_COOKIE_BYTES) {
    throw new CookieError(
      `Cookie ${JSON.stringify(cookieName)} makes a Set-Cookie header of ${bytes} bytes (value after encoding, plus attributes), over the ${MAX_SET_COOKIE_BYTES}-byte limit browsers enforce (RFC 6265 §6.1); the browser would silently drop it. Keep the data server-side (a session store) and put only an id in the cookie.`,
    );
  }
}
