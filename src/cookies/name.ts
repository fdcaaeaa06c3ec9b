import { CookieError } from "../errors.ts";
import { describeCharacter, firstDisallowed } from "./text.ts";

/**
 * RFC 6265 §4.1.1: cookie-name = token, and a token (RFC 2616 §2.2, RFC 9110 §5.6.2) is one or
 * more of these characters. The `cookie` package accepts more (any printable ASCII but `=` and
 * `;`); browsers and proxies disagree on the extra ones, so tessera only sends tokens.
 */
const TOKEN_CHARACTER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/** Throws unless `name` is a non-empty RFC 6265 token. */
export function assertCookieName(name: string): void {
  if (typeof name !== "string") {
    throw new CookieError(
      `A cookie name must be a string; got ${name === null ? "null" : typeof name}. Pass a name such as "session".`,
    );
  }
  if (name.length === 0) {
    throw new CookieError(
      'A cookie name cannot be empty (RFC 6265 §4.1.1: cookie-name is a token of at least one character). Pass a name such as "session".',
    );
  }
  const bad = firstDisallowed(name, TOKEN_CHARACTER);
  if (bad !== undefined) {
    const suggestion = Array.from(name, (c) => (TOKEN_CHARACTER.test(c) ? c : "_")).join("");
    throw new CookieError(
      `Cookie name ${JSON.stringify(name)} contains ${describeCharacter(bad)}, which a cookie name cannot hold: a name is an RFC 6265 token (RFC 6265 §4.1.1), made of letters, digits and ! # $ % & ' * + - . ^ _ \` | ~. Rename the cookie, for example to ${JSON.stringify(suggestion)}.`,
    );
  }
}

/** The attributes the prefix rules look at, as they will be sent. */
export interface PrefixedAttributes {
  readonly secure: boolean;
  readonly path: string;
  readonly domain: string | undefined;
}

/**
 * Cookie name prefixes (rfc6265bis §4.1.3): browsers refuse a `__Secure-` cookie without Secure
 * (§4.1.3.1) and a `__Host-` cookie without Secure, with a Domain, or with a Path other than
 * `/` (§4.1.3.2). The prefixes match case-insensitively (rfc6265bis §5.7, storage model), so
 * `__host-` is held to the same rules. Refusing here turns a silently dropped cookie into an error.
 *
 * `secureReason` explains where a missing Secure came from, for the message.
 */
export function assertPrefixRules(
  name: string,
  attributes: PrefixedAttributes,
  secureReason: string,
): void {
  const lower = name.toLowerCase();
  if (lower.startsWith("__host-")) {
    const problems: string[] = [];
    if (!attributes.secure) problems.push(`it is not Secure (${secureReason})`);
    if (attributes.path !== "/") problems.push(`its Path is ${JSON.stringify(attributes.path)}`);
    if (attributes.domain !== undefined) {
      problems.push(`it has Domain=${JSON.stringify(attributes.domain)}`);
    }
    if (problems.length > 0) {
      throw new CookieError(
        `Cookie ${JSON.stringify(name)} has the __Host- prefix, which browsers accept only with Secure, Path=/ and no Domain (rfc6265bis §4.1.3.2), but ${problems.join(", and ")}. Set secure: true, path: "/" and no domain, or rename the cookie without the __Host- prefix.`,
      );
    }
  } else if (lower.startsWith("__secure-") && !attributes.secure) {
    throw new CookieError(
      `Cookie ${JSON.stringify(name)} has the __Secure- prefix, which browsers accept only with Secure (rfc6265bis §4.1.3.1), but it is not Secure (${secureReason}). Set secure: true and serve over HTTPS, or rename the cookie without the __Secure- prefix.`,
    );
  }
}
