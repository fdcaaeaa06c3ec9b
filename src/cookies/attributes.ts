import { CookieError } from "../errors.ts";
import { type Duration, toSeconds } from "../util/duration.ts";
import { describeCharacter, describeValue, firstDisallowed } from "./text.ts";

/**
 * rfc6265bis §5.6 (Set-Cookie processing): a user agent ignores an attribute whose value is
 * longer than 1024 octets, which would silently turn a scoped cookie into a site-wide one.
 */
export const MAX_ATTRIBUTE_VALUE_BYTES = 1024;

/**
 * RFC 6265 §4.1.1: path-value = <any CHAR except CTLs or ";">. A comma is refused too, because
 * intermediaries that fold several Set-Cookie headers into one split on it, and "<" because the
 * `cookie` serializer refuses it.
 */
const PATH_CHARACTER = /^[\x20-\x2B\x2D-\x3A\x3D-\x7E]$/;

/** RFC 6265 §4.1.1 domain-value: a host name, letters, digits, hyphens and dots. */
const DOMAIN_CHARACTER = /^[A-Za-z0-9.-]$/;

/**
 * RFC 1034 §3.5 / RFC 1123 §2.1 labels, as RFC 6265 §4.1.1 domain-value requires. A leading dot
 * is tolerated (user agents ignore it, RFC 6265 §5.2.3); a trailing one makes them ignore the
 * attribute, so it is refused.
 */
const DOMAIN_VALUE =
  /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The dates a Set-Cookie Expires can carry (RFC 6265 §5.1.1 rejects years before 1601). */
const MIN_EXPIRES = Date.UTC(1601, 0, 1);
const MAX_EXPIRES = Date.UTC(10000, 0, 1) - 1;

/** Throws unless `path` is a usable Path attribute (RFC 6265 §4.1.1, §5.2.4). */
export function assertPath(cookieName: string, path: string): void {
  const subject = `The path ${describeValue(path)} of cookie ${JSON.stringify(cookieName)}`;
  if (typeof path !== "string" || !path.startsWith("/")) {
    // RFC 6265 §5.2.4: a Path not starting with "/" is replaced by the request's directory.
    throw new CookieError(
      `${subject} does not start with "/", so browsers would ignore it and scope the cookie to the current URL's directory (RFC 6265 §5.2.4). Pass an absolute path such as "/" or "/admin".`,
    );
  }
  const bad = firstDisallowed(path, PATH_CHARACTER);
  if (bad !== undefined) {
    throw new CookieError(
      `${subject} contains ${describeCharacter(bad)}, which cannot appear in a Set-Cookie Path (RFC 6265 §4.1.1 path-value: printable ASCII without ";"; "," and "<" are refused too). Percent-encode it (${JSON.stringify(bad)} is ${encodeOrDescribe(bad)}).`,
    );
  }
  assertAttributeSize(cookieName, "path", path);
}

/** Throws unless `domain` is a host name usable as a Domain attribute (RFC 6265 §4.1.1, §5.2.3). */
export function assertDomain(cookieName: string, domain: string): void {
  const subject = `The domain ${describeValue(domain)} of cookie ${JSON.stringify(cookieName)}`;
  if (typeof domain !== "string" || domain.length === 0) {
    throw new CookieError(
      `${subject} is empty. Leave the domain option out for a cookie only this host receives, or pass a domain such as "example.com".`,
    );
  }
  const bad = firstDisallowed(domain, DOMAIN_CHARACTER);
  if (bad !== undefined) {
    const hint =
      (bad.codePointAt(0) ?? 0) > 0x7f
        ? "Convert an international domain name to its ASCII form first (url.domainToASCII)."
        : 'Pass only the host name, such as "example.com": no scheme, port, path, ";" or ",".';
    throw new CookieError(
      `${subject} contains ${describeCharacter(bad)}, which a Domain attribute cannot hold (RFC 6265 §4.1.1 domain-value is a host name). ${hint}`,
    );
  }
  if (!DOMAIN_VALUE.test(domain)) {
    throw new CookieError(
      `${subject} is not a valid host name (RFC 6265 §4.1.1: labels of letters, digits and inner hyphens, up to 63 characters, separated by single dots, no trailing dot). Pass a domain such as "example.com".`,
    );
  }
  assertAttributeSize(cookieName, "domain", domain);
}

/** Throws unless `expires` is a real date a Set-Cookie header can carry (RFC 6265 §5.1.1). */
export function assertExpires(cookieName: string, expires: Date): void {
  const time = expires instanceof Date ? expires.getTime() : Number.NaN;
  if (Number.isNaN(time)) {
    throw new CookieError(
      `The expires option of cookie ${JSON.stringify(cookieName)} is ${expires instanceof Date ? "an Invalid Date" : `not a Date (${typeof expires})`}. Pass a valid Date, such as new Date(Date.now() + 3_600_000), or use maxAge: "1h".`,
    );
  }
  if (time < MIN_EXPIRES || time > MAX_EXPIRES) {
    throw new CookieError(
      `The expires option of cookie ${JSON.stringify(cookieName)} is ${expires.toISOString()}, outside the years 1601 to 9999 that a cookie date can express (RFC 6265 §5.1.1). Pass a date in that range.`,
    );
  }
}

/** Max-Age in whole seconds (RFC 6265 §5.2.2), from seconds or a duration string such as "7d". */
export function maxAgeSeconds(cookieName: string, maxAge: Duration): number {
  if (typeof maxAge === "number" && !(maxAge >= 0)) {
    throw new CookieError(
      `The maxAge option of cookie ${JSON.stringify(cookieName)} is ${String(maxAge)}; it must be zero or more seconds, or a duration such as "7d". To remove the cookie, use delete().`,
    );
  }
  let seconds: number;
  try {
    seconds = toSeconds(maxAge, "maxAge");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CookieError(`Cookie ${JSON.stringify(cookieName)}: ${reason}`, { cause: error });
  }
  if (!Number.isSafeInteger(seconds) || Date.now() + seconds * 1_000 > MAX_EXPIRES) {
    throw new CookieError(
      `The maxAge option of cookie ${JSON.stringify(cookieName)} is ${JSON.stringify(maxAge)}, which lands after the year 9999. Browsers keep cookies for at most 400 days anyway (rfc6265bis §5.6.2); pass a shorter duration such as "400d".`,
    );
  }
  return seconds;
}

/** Throws unless `value` is one of `allowed` (options from plain JavaScript or config files). */
export function assertOneOf<T extends string>(
  cookieName: string,
  option: string,
  value: T,
  allowed: readonly T[],
): void {
  if (!allowed.includes(value)) {
    throw new CookieError(
      `The ${option} option of cookie ${JSON.stringify(cookieName)} is ${describeValue(value)}; it must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}.`,
    );
  }
}

/** The attributes whose validity depends on Secure. */
export interface SecureDependentAttributes {
  readonly secure: boolean;
  readonly sameSite: "strict" | "lax" | "none";
  readonly partitioned: boolean;
}

/**
 * Browsers reject a SameSite=None cookie that is not Secure (rfc6265bis §5.7, storage model;
 * §4.1.2.7) and a Partitioned cookie that is not Secure (CHIPS,
 * draft-cutler-httpbis-partitioned-cookies "The Partitioned Attribute"). `secureReason` says
 * where a missing Secure came from, for the message.
 */
export function assertSecureRequirements(
  cookieName: string,
  attributes: SecureDependentAttributes,
  secureReason: string,
): void {
  if (attributes.secure) return;
  if (attributes.sameSite === "none") {
    throw new CookieError(
      `Cookie ${JSON.stringify(cookieName)} has SameSite=None but is not Secure (${secureReason}); browsers reject such cookies (rfc6265bis §4.1.2.7, §5.7). Set secure: true and serve over HTTPS, or use sameSite: "lax".`,
    );
  }
  if (attributes.partitioned) {
    throw new CookieError(
      `Cookie ${JSON.stringify(cookieName)} is Partitioned but not Secure (${secureReason}); browsers reject partitioned cookies without Secure (CHIPS, draft-cutler-httpbis-partitioned-cookies). Set secure: true and serve over HTTPS, or drop partitioned.`,
    );
  }
}

function assertAttributeSize(cookieName: string, option: string, value: string): void {
  // Called after the character checks, so the value is ASCII: one byte per character.
  if (value.length > MAX_ATTRIBUTE_VALUE_BYTES) {
    throw new CookieError(
      `The ${option} of cookie ${JSON.stringify(cookieName)} (${JSON.stringify(value.slice(0, 40))}…) is ${value.length} bytes; browsers ignore a ${option} over ${MAX_ATTRIBUTE_VALUE_BYTES} bytes (rfc6265bis §5.6), which would silently widen the cookie's scope. Use a shorter ${option}.`,
    );
  }
}

function encodeOrDescribe(character: string): string {
  try {
    return encodeURIComponent(character);
  } catch {
    return describeCharacter(character);
  }
}
