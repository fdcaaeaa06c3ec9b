import { parseCookie } from "cookie";

/**
 * How much of a Cookie header is read. Browsers send at most about 180 cookies of 4 KiB per
 * site, but servers cap request headers well below that (Node: 16 KiB for all headers by
 * default), so 16 KiB holds every real header while bounding the work a hostile one can cause.
 */
export const MAX_COOKIE_HEADER_LENGTH = 16 * 1024;

/**
 * The cookies of a Cookie request header (RFC 6265 §5.4, §4.2.1), name to decoded value. When a
 * name occurs more than once the first value wins (browsers list more specific paths first,
 * RFC 6265 §5.4 step 2); parseAllValues gives all of them.
 *
 * Never throws: a missing or non-string header gives no cookies, malformed percent-encoding is
 * kept as written, and input beyond MAX_COOKIE_HEADER_LENGTH is ignored (a cookie straddling the
 * limit is dropped whole, never truncated). The result has a null prototype, so names such as
 * `__proto__` or `constructor` are plain entries that cannot reach Object.prototype.
 */
export function parseCookieHeader(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  if (typeof header !== "string") return cookies;
  const parsed = parseCookie(bounded(header), PARSE_OPTIONS);
  for (const name in parsed) {
    const value = parsed[name];
    if (value !== undefined) cookies[name] = value;
  }
  return cookies;
}

/**
 * Every value the Cookie header carries for `name`, in header order. Browsers send several
 * cookies of one name when they differ in Path or Domain, and a subdomain or a network attacker
 * can plant such a twin ("cookie tossing"); a reader of signed values should try each one rather
 * than trust the first. Each pair is read by the same `cookie` parser as parseCookieHeader, so
 * the first element is always what parseCookieHeader gives for the name. Never throws.
 */
export function parseAllValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (typeof header !== "string" || typeof name !== "string" || name.length === 0) return values;
  const text = bounded(header);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(";", start);
    if (end === -1) end = text.length;
    // RFC 6265 §4.2.1: cookie-string = cookie-pair *( ";" SP cookie-pair ). Only pairs that
    // mention the name are worth handing to the parser.
    const pair = text.slice(start, end);
    if (pair.includes(name)) {
      const value = parseCookie(pair, PARSE_OPTIONS)[name];
      if (value !== undefined) values.push(value);
    }
    start = end + 1;
  }
  return values;
}

const PARSE_OPTIONS = { decode: decodeCookieValue };

/**
 * A cookie value as werkzeug reads it (and so Flask): a value in double quotes loses them, with
 * its backslash escapes undone (`\"`, `\\`, and `\ooo` octal bytes, as Python's
 * http.cookies writes them); then, as the cookie package does by default, percent-encoding is
 * decoded where it is valid. A quoted session cookie, which a proxy or another framework may
 * send, is then the same token as the bare one, as it is for Flask.
 */
export function decodeCookieValue(raw: string): string {
  const value =
    raw.length >= 2 && raw.charCodeAt(0) === QUOTE && raw.charCodeAt(raw.length - 1) === QUOTE
      ? unslash(raw.slice(1, -1))
      : raw;
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const QUOTE = 0x22;
/** werkzeug's `_cookie_unslash_re`: an octal byte \000-\377, or any one escaped character. */
const SLASHED = /\\([0-3][0-7]{2}|[\s\S])/g;

/** Undoes backslash escapes byte for byte, then reads the bytes as UTF-8 (bad bytes → U+FFFD). */
function unslash(text: string): string {
  if (!text.includes("\\")) return text;
  const bytes: number[] = [];
  let last = 0;
  for (const match of text.matchAll(SLASHED)) {
    bytes.push(...Buffer.from(text.slice(last, match.index), "utf8"));
    const escaped = match[1] as string;
    if (escaped.length === 3) bytes.push(Number.parseInt(escaped, 8));
    else bytes.push(...Buffer.from(escaped, "utf8"));
    last = match.index + match[0].length;
  }
  bytes.push(...Buffer.from(text.slice(last), "utf8"));
  return Buffer.from(bytes).toString("utf8");
}

/** The header cut at the last pair boundary within the limit. */
function bounded(header: string): string {
  if (header.length <= MAX_COOKIE_HEADER_LENGTH) return header;
  const lastSeparator = header.lastIndexOf(";", MAX_COOKIE_HEADER_LENGTH);
  return lastSeparator <= 0 ? "" : header.slice(0, lastSeparator);
}
