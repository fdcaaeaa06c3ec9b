import { type SetCookie, stringifySetCookie } from "cookie";
import { CookieError } from "../errors.ts";
import {
  assertDomain,
  assertExpires,
  assertOneOf,
  assertPath,
  assertSecureRequirements,
  maxAgeSeconds,
} from "./attributes.ts";
import { assertCookieName, assertPrefixRules } from "./name.ts";
import {
  type CookieOptions,
  DEFAULT_HTTP_ONLY,
  DEFAULT_PATH,
  DEFAULT_SAME_SITE,
  type DeletionOptions,
} from "./options.ts";
import { assertSetCookieSize } from "./size.ts";

const SAME_SITE_VALUES = ["strict", "lax", "none"] as const;
const PRIORITY_VALUES = ["low", "medium", "high"] as const;

/** A date in the past expires a cookie at once (RFC 6265 §3.1); the epoch is the customary one. */
const EPOCH = new Date(0);

/**
 * The Set-Cookie header value for `name=value` with `options` and tessera's secure defaults
 * (see CookieOptions). The value is encoded by the `cookie` package's default encoder, so any
 * string comes back unchanged from parseCookieHeader. Throws a CookieError, naming the cookie,
 * for anything a browser would reject or silently drop.
 *
 * `requestIsSecure` is whether the request came over HTTPS; it is the default for Secure.
 */
export function serializeSetCookie(
  name: string,
  value: string,
  options: CookieOptions,
  requestIsSecure: boolean,
): string {
  assertCookieName(name);
  assertValue(name, value);
  if (options.maxAge !== undefined && options.expires !== undefined) {
    throw new CookieError(
      `Cookie ${JSON.stringify(name)} was given both maxAge and expires; clients that honour only one would disagree on when it ends. Pass one of them: maxAge also sends a matching Expires.`,
    );
  }
  let maxAge: number | undefined;
  let expires: Date | undefined;
  if (options.maxAge !== undefined) {
    maxAge = maxAgeSeconds(name, options.maxAge);
    // RFC 6265 §5.3 step 3: Max-Age wins where understood; Expires at the same instant serves
    // clients that predate Max-Age.
    expires = new Date(Date.now() + maxAge * 1_000);
  } else if (options.expires !== undefined) {
    assertExpires(name, options.expires);
    expires = options.expires;
  }
  if (options.priority !== undefined) {
    assertOneOf(name, "priority", options.priority, PRIORITY_VALUES);
  }
  const cookie: SetCookie = { name, value, ...scope(name, options, requestIsSecure) };
  if (maxAge !== undefined) cookie.maxAge = maxAge;
  if (expires !== undefined) cookie.expires = expires;
  if (options.priority !== undefined) cookie.priority = options.priority;
  return stringify(cookie);
}

/**
 * The Set-Cookie header value that deletes cookie `name`: an empty value with Max-Age=0 and
 * Expires=Thu, 01 Jan 1970 00:00:00 GMT. A browser deletes only the cookie with the same name,
 * Path and Domain (RFC 6265 §5.3 step 11), so pass the path and domain the cookie was set with
 * (default path "/", no domain), and `partitioned: true` for a partitioned cookie.
 */
export function serializeDeletion(
  name: string,
  options: DeletionOptions,
  requestIsSecure: boolean,
): string {
  assertCookieName(name);
  return stringify({
    name,
    value: "",
    maxAge: 0,
    expires: EPOCH,
    ...scope(name, options, requestIsSecure),
  });
}

/** The scope and security attributes shared by setting and deleting, defaults applied. */
interface ScopeAttributes {
  path: string;
  domain?: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: "strict" | "lax" | "none";
  partitioned: boolean;
}

/**
 * Applies the defaults to the scope and security options and checks every rule on them
 * (path, domain, prefixes, what needs Secure), so both entry points enforce the same ones.
 */
function scope(name: string, options: DeletionOptions, requestIsSecure: boolean): ScopeAttributes {
  const path = options.path ?? DEFAULT_PATH;
  assertPath(name, path);
  if (options.domain !== undefined) assertDomain(name, options.domain);
  const sameSite = options.sameSite ?? DEFAULT_SAME_SITE;
  assertOneOf(name, "sameSite", sameSite, SAME_SITE_VALUES);
  const attributes: ScopeAttributes = {
    path,
    secure: options.secure ?? requestIsSecure,
    httpOnly: options.httpOnly ?? DEFAULT_HTTP_ONLY,
    sameSite,
    partitioned: options.partitioned ?? false,
  };
  if (options.domain !== undefined) attributes.domain = options.domain;
  const why = secureReason(options, requestIsSecure);
  assertPrefixRules(name, { ...attributes, domain: options.domain }, why);
  assertSecureRequirements(name, attributes, why);
  return attributes;
}

/** Serializes through the `cookie` package, then checks the size of the result. */
function stringify(cookie: SetCookie): string {
  let header: string;
  try {
    header = stringifySetCookie(cookie);
  } catch (error) {
    // Every rule the serializer enforces is checked before with a better message; this is a
    // backstop so that nothing but a CookieError leaves this module.
    throw new CookieError(
      `Cookie ${JSON.stringify(cookie.name)} could not be serialized: ${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    );
  }
  assertSetCookieSize(cookie.name, header);
  return header;
}

function assertValue(name: string, value: string): void {
  if (typeof value !== "string") {
    throw new CookieError(
      `The value of cookie ${JSON.stringify(name)} must be a string; got ${value === null ? "null" : typeof value}. Convert it first (String(value), or JSON.stringify for objects).`,
    );
  }
  if (!value.isWellFormed()) {
    // encodeURIComponent cannot encode a lone UTF-16 surrogate: it is not text.
    throw new CookieError(
      `The value of cookie ${JSON.stringify(name)} contains a lone UTF-16 surrogate, which cannot be encoded. Pass well-formed text (value.toWellFormed()) or encode binary data as base64url.`,
    );
  }
}

function secureReason(options: DeletionOptions, requestIsSecure: boolean): string {
  if (options.secure === false) return "secure: false was passed";
  return requestIsSecure
    ? "secure was left to default"
    : "the request did not come over HTTPS and secure was not set; behind a TLS-terminating proxy, pass secure: true or trust the proxy";
}
