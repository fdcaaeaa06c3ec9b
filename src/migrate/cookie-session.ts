/**
 * cookie-session (2.x) as a legacy source: the whole session is in the cookie, so there is no
 * record to read or forget, only two cookies to verify and clear.
 *
 * The format, as cookie-session writes it through the `cookies` and `keygrip` packages:
 * - `<name>` holds `Buffer.from(JSON.stringify(session)).toString("base64")`, sent as it is
 *   (`cookies` neither percent-encodes nor quotes values);
 * - `<name>.sig` holds HMAC-SHA1 over the text `<name>=<value>` with the newest key, in base64
 *   with `+/` made `-_` and no `=` (which is exactly base64url); a reader accepts any key's.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { nestsDeeperThan } from "../codecs/nesting.ts";
import { assertDomain, assertPath } from "../cookies/attributes.ts";
import { assertCookieName } from "../cookies/name.ts";
import type { DeletionOptions } from "../cookies/options.ts";
import { describeValue } from "../cookies/text.ts";
import type { RejectReason } from "../diagnostics.ts";
import { ConfigError } from "../errors.ts";
import { MAX_SESSION_COOKIE_VALUES } from "../transport/session-cookie.ts";
import type { LegacyCookie, LegacyFinding, LegacySource } from "./source.ts";

export interface CookieSessionSourceOptions {
  /** cookie-session's `keys` (newest first, as keygrip uses them), or its single `secret`. Exactly one of the two. */
  readonly keys?: readonly string[];
  readonly secret?: string;
  /** cookie-session's `name`, default "session". */
  readonly name?: string;
  /** cookie-session's maxAge in milliseconds, if the app set one: cookie-session records no expiry in the cookie, so this is the most a moved session may live from now (never more than tessera's own lifetime). */
  readonly maxAge?: number;
  /** The path and domain the cookies were set with, to delete them (default path "/"). */
  readonly cookie?: { readonly path?: string; readonly domain?: string };
}

/** A cookie-session cookie that verified: its value (the key) and the session it holds. */
export interface CookieSessionCookie extends LegacyCookie {
  readonly data: Readonly<Record<string, unknown>>;
}

const OPTION_NAMES = new Set(["keys", "secret", "name", "maxAge", "cookie"]);
const COOKIE_OPTION_NAMES = new Set(["path", "domain"]);

/**
 * The source for `migrateFrom` that takes over cookie-session's sessions: give it the keys (or
 * secret), name and maxAge the app gave cookie-session. Throws a ConfigError for bad options.
 */
export function cookieSession(
  options: CookieSessionSourceOptions,
): LegacySource<CookieSessionCookie> {
  const { keys, name, maxAge, deletion } = validate(options);
  const sigName = `${name}.sig`;
  return {
    keepsRecords: false,
    name: "cookie-session",
    // cookie-session's default name, "session", is also tessera's default session cookie name:
    // with both defaults the engine must not clear "session" once it has written its own there.
    cookies: [
      { name, options: deletion },
      { name: sigName, options: deletion },
    ],
    find(cookies): LegacyFinding<CookieSessionCookie> {
      // cookie-session reads an empty value as no session (it is what its logout leaves behind).
      // With tessera's default name also "session", a value here may be tessera's own cookie:
      // it carries no matching .sig, so it is rejected, never taken for a legacy session.
      const values = capped(cookies.getAll(name)).filter((value) => value !== "");
      if (values.length === 0) return { kind: "absent" };
      const signatures = capped(cookies.getAll(sigName)).map((sig) => Buffer.from(sig));
      let reason: RejectReason = "bad-signature";
      for (const value of values) {
        if (!signed(keys, `${name}=${value}`, signatures)) continue;
        const data = decode(value);
        if (typeof data === "object") return { kind: "found", cookie: { key: value, data } };
        if (reason === "bad-signature") reason = data;
      }
      return { kind: "rejected", reason };
    },
    read(cookie, now) {
      // A session whose keys were all deleted is written as `{}`: cookie-session treats it as
      // no session (it would not even write a new one that empty), so there is nothing to move.
      if (Object.keys(cookie.data).length === 0) return undefined;
      return { data: cookie.data, expiresAt: maxAge === undefined ? undefined : now + maxAge };
    },
    forget: () => undefined,
  };
}

/**
 * A browser sends one cookie per matching path and domain, and a sibling subdomain can plant
 * more; the same cap as tessera's own cookie bounds the HMACs a hostile header can cost.
 */
function capped(values: string[]): string[] {
  return values.length > MAX_SESSION_COOKIE_VALUES
    ? values.slice(0, MAX_SESSION_COOKIE_VALUES)
    : values;
}

/**
 * Whether any key signed `text` with any of the signatures, as keygrip's `index` checks. Each
 * comparison is constant-time; only the length (always 27 for a real one) is compared first.
 */
function signed(keys: readonly string[], text: string, signatures: Buffer[]): boolean {
  if (signatures.length === 0) return false;
  for (const key of keys) {
    const expected = Buffer.from(createHmac("sha1", key).update(text).digest("base64url"));
    for (const signature of signatures) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) {
        return true;
      }
    }
  }
  return false;
}

/**
 * The session in a verified value, or why it is unusable. Decoded as leniently as
 * cookie-session does (Buffer's base64 skips what is not base64, and bad UTF-8 becomes U+FFFD),
 * so every cookie it read, tessera reads. Only a plain object is a session: cookie-session always
 * writes one (it would turn an array or a string into index keys).
 */
function decode(value: string): Record<string, unknown> | RejectReason {
  const text = Buffer.from(value, "base64").toString("utf8");
  // A verified cookie nested past tessera's limit could be read but never written back.
  if (nestsDeeperThan(text)) return "too-deep";
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return "malformed";
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) return "malformed";
  // JSON.parse keeps a "__proto__" key as an own property, so the object is returned as it is.
  return data as Record<string, unknown>;
}

interface Validated {
  readonly keys: readonly string[];
  readonly name: string;
  readonly maxAge: number | undefined;
  readonly deletion: DeletionOptions;
}

/** Checks the options up front; messages never show a key, only where it is. */
function validate(options: CookieSessionSourceOptions): Validated {
  if (options === null || typeof options !== "object") {
    throw new ConfigError(
      "cookieSession() needs options: { keys } (or { secret }) as cookie-session was given them, and its name, maxAge and cookie path and domain if the app set them.",
    );
  }
  checkNames(options, OPTION_NAMES, "");
  const keys = validateKeys(options);

  const name = options.name ?? "session";
  try {
    assertCookieName(name);
  } catch (error) {
    throw new ConfigError(`cookieSession({ name }): ${(error as Error).message}`, {
      cause: error,
    });
  }

  const { maxAge } = options;
  if (maxAge !== undefined && !(typeof maxAge === "number" && maxAge > 0 && maxAge < Infinity)) {
    throw new ConfigError(
      `cookieSession({ maxAge }) must be a positive number of milliseconds, as cookie-session takes it; got ${typeof maxAge === "number" ? String(maxAge) : describeValue(maxAge)}. If the app set no maxAge (or 0, which cookie-session reads as none), leave it out.`,
    );
  }

  const cookie = options.cookie ?? {};
  if (cookie === null || typeof cookie !== "object") {
    throw new ConfigError(
      `cookieSession({ cookie }) must be an object such as { path: "/", domain: "example.com" }; got ${describeValue(cookie)}.`,
    );
  }
  checkNames(cookie, COOKIE_OPTION_NAMES, "cookie.");
  const path = cookie.path ?? "/";
  try {
    assertPath(name, path);
    if (cookie.domain !== undefined) assertDomain(name, cookie.domain);
  } catch (error) {
    throw new ConfigError(`cookieSession({ cookie }): ${(error as Error).message}`, {
      cause: error,
    });
  }
  const deletion = cookie.domain === undefined ? { path } : { path, domain: cookie.domain };
  return { keys, name, maxAge, deletion };
}

function validateKeys(options: CookieSessionSourceOptions): readonly string[] {
  const { keys, secret } = options;
  if (keys !== undefined && secret !== undefined) {
    throw new ConfigError(
      "cookieSession() takes keys or secret, not both: pass the one the app gave cookie-session (cookie-session uses keys when it has both).",
    );
  }
  if (secret !== undefined) {
    if (typeof secret !== "string" || secret.length === 0) {
      throw new ConfigError(
        `cookieSession({ secret }) must be a non-empty string; got ${kindOf(secret)}. Pass the secret the app gave cookie-session.`,
      );
    }
    return [secret];
  }
  if (keys === undefined) {
    throw new ConfigError(
      "cookieSession() needs the app's cookie-session keys (or its secret) to verify its cookies: pass { keys: [...] } in the order the app gives them, newest first.",
    );
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError(
      `cookieSession({ keys }) must be a non-empty array of strings, newest first; got ${Array.isArray(keys) ? "an empty array" : kindOf(keys)}.`,
    );
  }
  keys.forEach((key: unknown, index) => {
    // An empty key signs nothing anyone could not sign too: moving such sessions would log in
    // whoever forges one.
    if (typeof key !== "string" || key.length === 0) {
      throw new ConfigError(
        `cookieSession({ keys }): keys[${index}] must be a non-empty string; got ${kindOf(key)}. Pass the keys exactly as the app gives them to cookie-session (Keygrip objects and Buffers are not taken).`,
      );
    }
  });
  return [...keys];
}

/** What a value is, for a message that must not show it (it may be a key). */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === "") return "an empty string";
  if (Buffer.isBuffer(value)) return "a Buffer";
  const type = typeof value;
  return type === "object" || type === "undefined" ? `an ${type}` : `a ${type}`;
}

/** Refuses options this source does not know, so a misplaced one is not silently ignored. */
function checkNames(options: object, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const hint =
      prefix === "" && (key === "path" || key === "domain")
        ? ` cookie-session takes ${key} at the top level; here it goes under cookie: { ${key} }.`
        : prefix === "" && key === "signed"
          ? " cookie-session signs its cookies by default, and only signed ones can be moved (an unsigned one could have been written by anyone): leave signed out."
          : ` Known: ${[...known].map((name) => `${prefix}${name}`).join(", ")}; other cookie-session options do not matter to reading or deleting its cookies.`;
    throw new ConfigError(`cookieSession() has no option ${JSON.stringify(prefix + key)}.${hint}`);
  }
}
