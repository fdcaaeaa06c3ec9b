import { assertCookieName, assertPrefixRules } from "../cookies/name.ts";
import { serializeSetCookie } from "../cookies/serialize.ts";
import type { KeyringOptions } from "../crypto/keyring.ts";
import { Keyring } from "../crypto/keyring.ts";
import type { Secret } from "../crypto/secret.ts";
import { ConfigError } from "../errors.ts";
import type { LegacySource } from "../migrate/source.ts";
import { keepsCreatedAt, type SessionStore } from "../stores/contract.ts";
import { sqliteStore } from "../stores/sqlite.ts";
import { Deadlines } from "../util/deadlines.ts";
import { type Duration, toMilliseconds } from "../util/duration.ts";

export interface SessionCookieOptions {
  /** Cookie name; Flask's default, "session". */
  readonly name?: string;
  readonly path?: string;
  readonly domain?: string;
  /** "auto" (default): Secure when the request came over HTTPS (see `trustProxy`). */
  readonly secure?: boolean | "auto";
  /** Default true: page scripts cannot read the session cookie. */
  readonly httpOnly?: boolean;
  /** Default "lax". */
  readonly sameSite?: "strict" | "lax" | "none";
  readonly partitioned?: boolean;
  readonly priority?: "low" | "medium" | "high";
}

/**
 * How a session travels:
 * - `"id"` (default): the cookie holds a signed id (HMAC-SHA256), the data lives in the store.
 * - `"flask-session"`: the same, with the id signed as Flask-Session signs it (itsdangerous,
 *   salt "flask-session"), so a Flask app with Flask-Session on the same store shares the login.
 * - `"flask"`: no store; the whole session in the cookie, byte for byte as Flask's default
 *   session (signed, readable by the client), so a Flask app with the same secret shares it.
 * - `"sealed"`: no store; the whole session in the cookie, encrypted and authenticated
 *   (AES-256-GCM), so the client can neither read nor change it.
 */
export type SessionFormat = "id" | "flask-session" | "flask" | "sealed";

const FORMATS: readonly SessionFormat[] = ["id", "flask-session", "flask", "sealed"];

interface CommonSessionOptions extends KeyringOptions {
  /** The signing secret, or a list newest first to rotate. At least 24 bytes each. */
  readonly secret: Secret | readonly Secret[];
  readonly cookie?: SessionCookieOptions;
  /** Idle lifetime: a session unused this long expires. Default "31d", as Flask. */
  readonly lifetime?: Duration;
  /** Optional hard limit from creation, however active the session is. */
  readonly absoluteLifetime?: Duration;
  /**
   * Refresh the expiry on requests that read the session without changing it, as Flask's
   * SESSION_REFRESH_EACH_REQUEST. Default true; the refresh is a cheap touch, throttled by
   * `touchAfter`.
   */
  readonly rolling?: boolean;
  /** Touch at most this often per session. Default a tenth of the lifetime, at most one day. */
  readonly touchAfter?: Duration;
  /** Whether new sessions are permanent (cookie with Max-Age). Default true. */
  readonly permanent?: boolean;
  /** Believe X-Forwarded-Proto from the proxy in front of the app for `secure: "auto"`. */
  readonly trustProxy?: boolean;
  /**
   * Send `Clear-Site-Data` on the response that ends a session with `destroy()` (a logout), so
   * the browser also drops what the site cached and stored for the user. `true` sends
   * `"cache", "cookies", "storage"` (OWASP's advice); a list sends those directives. Off by
   * default: "cookies" clears every cookie of the site's domain, other apps' included.
   */
  readonly clearSiteData?: boolean | readonly ClearSiteDataDirective[];
}

/** The directives of the `Clear-Site-Data` header (W3C Clear Site Data). */
export type ClearSiteDataDirective = "cache" | "cookies" | "storage" | "executionContexts" | "*";

const CLEAR_SITE_DATA_DIRECTIVES: readonly ClearSiteDataDirective[] = [
  "cache",
  "cookies",
  "storage",
  "executionContexts",
  "*",
];

interface StoreOptions extends CommonSessionOptions {
  /**
   * Where sessions are kept. Default: `sqliteStore()`, the embedded store, in
   * data/sessions.db under the working directory.
   */
  readonly store?: SessionStore;
  /** Give up on a store call after this long and answer 503. Default "1s". */
  readonly storeTimeout?: Duration;
  /**
   * The session library the app used before (from `tessera/migrate`: `expressSession`,
   * `fastifySession`, `cookieSession`, `ironSession`), or several: a request with no tessera
   * session but a valid legacy cookie has that session moved into tessera, so switching logs
   * no one out.
   */
  readonly migrateFrom?: LegacySource | readonly LegacySource[];
  /**
   * Leave the legacy cookie and record in place after a session moves (a gradual rollout that
   * may roll back). Default false: both are removed once the tessera session is durable.
   */
  readonly keepLegacy?: boolean;
}

/** Server-side sessions with tessera's signed id cookie (the default). */
export interface IdSessionOptions extends StoreOptions {
  readonly format?: "id";
  /** tessera's own id cookie is always signed; `signIds` belongs to format "flask-session". */
  readonly signIds?: never;
}

/** Server-side sessions whose id cookie is Flask-Session's, to share a store with Flask. */
export interface FlaskSessionOptions extends StoreOptions {
  readonly format: "flask-session";
  /**
   * Whether the id in the cookie is signed, as Flask-Session's `SESSION_USE_SIGNER`. Default
   * true. Flask-Session's own default is False (and the setting is deprecated there): set
   * `signIds: false` to share sessions with such an app, whose cookie holds the bare id.
   */
  readonly signIds?: boolean;
}

/** Server-side sessions: an id in the cookie, the data in a store. */
export type StoreSessionOptions = IdSessionOptions | FlaskSessionOptions;

interface InCookieOptions extends CommonSessionOptions {
  /** Cookie sessions keep no store: the data is in the cookie. */
  readonly store?: never;
  readonly storeTimeout?: never;
  readonly signIds?: never;
  /** Sessions move from a legacy library into a store; cookie sessions have none. */
  readonly migrateFrom?: never;
  readonly keepLegacy?: never;
}

/** Flask's own signed cookie session. */
export interface FlaskCookieSessionOptions extends InCookieOptions {
  readonly format: "flask";
  /** Flask's cookie does not record when the session began, so no absolute lifetime. */
  readonly absoluteLifetime?: never;
}

/** The encrypted cookie session. */
export interface SealedCookieSessionOptions extends InCookieOptions {
  readonly format: "sealed";
}

/** Cookie sessions: the whole session in the cookie, no store. */
export type CookieSessionOptions = FlaskCookieSessionOptions | SealedCookieSessionOptions;

export type SessionOptions = StoreSessionOptions | CookieSessionOptions;

/** The options after validation and conversion, as the engine uses them on every request. */
export interface ResolvedOptions {
  readonly format: SessionFormat;
  /** Whether the id cookie carries a signature (always, except Flask-Session's unsigned ids). */
  readonly signIds: boolean;
  readonly keyring: Keyring;
  /** The store of server-side sessions; undefined for cookie sessions. */
  readonly store: SessionStore | undefined;
  readonly cookie: Required<Omit<SessionCookieOptions, "domain" | "priority">> &
    Pick<SessionCookieOptions, "domain" | "priority">;
  readonly lifetimeMs: number;
  readonly absoluteLifetimeMs: number | undefined;
  readonly rolling: boolean;
  readonly touchAfterMs: number;
  readonly permanent: boolean;
  readonly trustProxy: boolean;
  /** The Clear-Site-Data header's value at a logout, or undefined to send none. */
  readonly clearSiteData: string | undefined;
  readonly storeTimeoutMs: number;
  /** The deadlines of this manager's store calls (one timer for all of them). */
  readonly storeDeadlines: Deadlines;
  /** The libraries sessions are taken over from (`migrateFrom`); empty for none. */
  readonly migrateFrom: readonly LegacySource[];
  readonly keepLegacy: boolean;
}

const ONE_DAY_MS = 86_400_000;

export function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new ConfigError("Session options are required: { secret, store, ... }.");
  }
  checkOptionNames(options as unknown as Record<string, unknown>, OPTION_NAMES, "");
  if (
    options.cookie !== undefined &&
    options.cookie !== null &&
    typeof options.cookie === "object"
  ) {
    checkOptionNames(options.cookie as Record<string, unknown>, COOKIE_OPTION_NAMES, "cookie.");
  }
  const format = options.format ?? "id";
  if (!FORMATS.includes(format)) {
    throw new ConfigError(
      `format must be one of ${FORMATS.map((name) => JSON.stringify(name)).join(", ")}; got ${JSON.stringify(format)}.`,
    );
  }
  const inCookie = format === "flask" || format === "sealed";
  if (inCookie && options.store !== undefined) {
    throw new ConfigError(
      `format "${format}" keeps the whole session in the cookie, so it takes no store. Remove \`store\`, or use format "id" (or "flask-session") to keep sessions in the store.`,
    );
  }
  if (inCookie && "storeTimeout" in options && options.storeTimeout !== undefined) {
    throw new ConfigError(
      `format "${format}" keeps the whole session in the cookie, with no store to time out; remove storeTimeout.`,
    );
  }
  // The embedded store is opened last, once every other setting is known to be right, so a
  // mistake does not leave a database file behind.
  const given = inCookie ? undefined : options.store;
  if (
    given !== undefined &&
    (typeof given?.get !== "function" || typeof given?.apply !== "function")
  ) {
    throw new ConfigError(
      "`store` must be a session store such as sqliteStore() from tessera/sqlite or memoryStore() from tessera/memory; leave it out for the embedded SQLite store.",
    );
  }
  const lifetimeMs = toMilliseconds(options.lifetime ?? "31d", "lifetime");
  if (lifetimeMs < 1_000) {
    throw new ConfigError(`lifetime must be at least one second; got ${String(options.lifetime)}.`);
  }
  const absoluteLifetimeMs =
    options.absoluteLifetime === undefined
      ? undefined
      : toMilliseconds(options.absoluteLifetime, "absoluteLifetime");
  if (absoluteLifetimeMs !== undefined && absoluteLifetimeMs < 1_000) {
    throw new ConfigError(
      `absoluteLifetime must be at least one second; got ${String(options.absoluteLifetime)}.`,
    );
  }
  if (absoluteLifetimeMs !== undefined && given !== undefined && !keepsCreatedAt(given)) {
    throw new ConfigError(
      `absoluteLifetime cannot be kept with this ${given.kind} store: its records do not keep when the session began (Flask-Session's layout keeps only the session dict). Leave absoluteLifetime out, or use a layout that keeps it.`,
    );
  }
  const signIds = "signIds" in options ? options.signIds : undefined;
  if (signIds !== undefined && format !== "flask-session") {
    throw new ConfigError(
      `signIds applies to format "flask-session" only (Flask-Session's SESSION_USE_SIGNER); tessera's own id cookie is always signed. Got signIds with format "${format}".`,
    );
  }
  if (signIds !== undefined && typeof signIds !== "boolean") {
    throw new ConfigError(`signIds must be true or false; got ${JSON.stringify(signIds)}.`);
  }
  if (absoluteLifetimeMs !== undefined && format === "flask") {
    throw new ConfigError(
      `absoluteLifetime cannot be kept with format "flask": Flask's cookie records when it was last signed, not when the session began. Use format "sealed" (which records it), or a store.`,
    );
  }
  if (absoluteLifetimeMs !== undefined && absoluteLifetimeMs < lifetimeMs) {
    throw new ConfigError(
      `absoluteLifetime (${String(options.absoluteLifetime)}) is shorter than lifetime (${String(options.lifetime ?? "31d")}): every session would end at the absolute limit before it could ever go idle, and its cookie would outlive it. Make absoluteLifetime at least as long as lifetime, or shorten lifetime.`,
    );
  }
  const touchAfterMs =
    options.touchAfter === undefined
      ? Math.min(Math.floor(lifetimeMs / 10), ONE_DAY_MS)
      : toMilliseconds(options.touchAfter, "touchAfter");
  if (touchAfterMs >= lifetimeMs) {
    throw new ConfigError(
      `touchAfter (${String(options.touchAfter)}) must be shorter than lifetime (${String(options.lifetime ?? "31d")}), or rolling sessions would expire between touches.`,
    );
  }
  const storeTimeoutMs = toMilliseconds(options.storeTimeout ?? "1s", "storeTimeout");
  if (storeTimeoutMs <= 0) {
    throw new ConfigError(`storeTimeout must be positive; got ${String(options.storeTimeout)}.`);
  }
  const cookie = options.cookie ?? {};
  const sameSite = cookie.sameSite ?? "lax";
  if (!["strict", "lax", "none"].includes(sameSite)) {
    throw new ConfigError(
      `cookie.sameSite must be "strict", "lax" or "none"; got ${JSON.stringify(sameSite)}.`,
    );
  }
  const secure = cookie.secure ?? "auto";
  if (secure !== true && secure !== false && secure !== "auto") {
    throw new ConfigError(`cookie.secure must be true, false or "auto"; got ${String(secure)}.`);
  }
  const name = cookie.name ?? "session";
  // The cookie layer's own rules, checked once at startup so a misconfigured name fails here
  // rather than on the first login. "auto" may turn out Secure, so it passes the prefix check.
  try {
    assertCookieName(name);
    assertPrefixRules(
      name,
      { secure: secure !== false, path: cookie.path ?? "/", domain: cookie.domain },
      "cookie.secure is false",
    );
  } catch (error) {
    throw new ConfigError(
      `cookie.name: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  for (const [setting, value] of [
    ["permanent", options.permanent],
    ["rolling", options.rolling],
    ["trustProxy", options.trustProxy],
    ["cookie.httpOnly", cookie.httpOnly],
    ["cookie.partitioned", cookie.partitioned],
  ] as const) {
    if (value !== undefined && typeof value !== "boolean") {
      throw new ConfigError(
        `${setting} must be true or false; got ${JSON.stringify(value)}${typeof value === "string" ? " (a string: convert a setting read from the environment first)" : ""}.`,
      );
    }
  }
  // The whole attribute set, built once as the first login would build it, so a bad path,
  // domain or priority stops the start instead of failing that login.
  try {
    serializeSetCookie(
      name,
      "x",
      {
        path: cookie.path ?? "/",
        httpOnly: cookie.httpOnly ?? true,
        sameSite,
        partitioned: cookie.partitioned ?? false,
        secure: secure !== false,
        maxAge: 1,
        ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
        ...(cookie.priority === undefined ? {} : { priority: cookie.priority }),
      },
      true,
    );
  } catch (error) {
    throw new ConfigError(`cookie: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const storeFormat = given?.capabilities?.format;
  if (given !== undefined && storeFormat !== undefined && storeFormat !== format) {
    throw new ConfigError(
      storeFormat === "flask-session"
        ? `This ${given.kind} store keeps Flask-Session's records (its layout "flask-session"), whose ids Flask reads from its own cookie: use format "flask-session" with it (format here is "${format}").`
        : format === "flask-session"
          ? `format "flask-session" shares sessions with Flask-Session, whose records this ${given.kind} store's layout (for format "${storeFormat}") cannot hold: use redisStore({ client, layout: "flask-session" }) or postgresStore({ client, layout: "flask-session" }).`
          : `format "${format}" cannot use this ${given.kind} store: its records are laid out for format "${storeFormat}" only.`,
    );
  }
  const clearSiteData = clearSiteDataHeader(options.clearSiteData);
  const migrateFrom = legacySourcesOf(options, format);
  const keyring = new Keyring(options.secret, options);
  const store = inCookie ? undefined : (given ?? sqliteStore());
  return {
    format,
    signIds: signIds ?? true,
    keyring,
    store,
    cookie: {
      name,
      path: cookie.path ?? "/",
      secure,
      httpOnly: cookie.httpOnly ?? true,
      sameSite,
      partitioned: cookie.partitioned ?? false,
      ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
      ...(cookie.priority === undefined ? {} : { priority: cookie.priority }),
    },
    lifetimeMs,
    absoluteLifetimeMs,
    rolling: options.rolling ?? true,
    touchAfterMs,
    permanent: options.permanent ?? true,
    trustProxy: options.trustProxy ?? false,
    clearSiteData,
    storeTimeoutMs,
    storeDeadlines: new Deadlines(storeTimeoutMs),
    migrateFrom,
    keepLegacy: "keepLegacy" in options && options.keepLegacy === true,
  };
}

/** `migrateFrom` as a list, checked: sources from tessera/migrate, for a store format only. */
function legacySourcesOf(options: SessionOptions, format: SessionFormat): readonly LegacySource[] {
  const given = "migrateFrom" in options ? options.migrateFrom : undefined;
  const keepLegacy = "keepLegacy" in options ? options.keepLegacy : undefined;
  if (keepLegacy !== undefined && typeof keepLegacy !== "boolean") {
    throw new ConfigError(`keepLegacy must be true or false; got ${JSON.stringify(keepLegacy)}.`);
  }
  if (given === undefined) {
    if (keepLegacy !== undefined) {
      throw new ConfigError(
        "keepLegacy applies to sessions moved from another library: set migrateFrom too, or remove keepLegacy.",
      );
    }
    return [];
  }
  if (format === "flask" || format === "sealed") {
    throw new ConfigError(
      `migrateFrom moves legacy sessions into a session store, and format "${format}" keeps sessions in the cookie with no store. Use format "id" (the default) with a store to switch from another library.`,
    );
  }
  const sources: readonly unknown[] = Array.isArray(given) ? given : [given];
  sources.forEach((source, index) => {
    const candidate = source as Partial<LegacySource> | null;
    if (
      candidate === null ||
      typeof candidate !== "object" ||
      typeof candidate.find !== "function" ||
      typeof candidate.read !== "function" ||
      typeof candidate.forget !== "function" ||
      typeof candidate.name !== "string" ||
      typeof candidate.keepsRecords !== "boolean" ||
      !Array.isArray(candidate.cookies)
    ) {
      throw new ConfigError(
        `migrateFrom${Array.isArray(given) ? `[${index}]` : ""} must be a legacy session source from tessera/migrate, such as expressSession({ secret, store }) or ironSession({ password, cookieName }); got ${candidate === null ? "null" : typeof candidate}.`,
      );
    }
  });
  return sources as readonly LegacySource[];
}

/** Every option `createSessions` takes: anything else is a typo, caught at startup. */
const OPTION_NAMES = [
  "secret",
  "format",
  "store",
  "storeTimeout",
  "cookie",
  "lifetime",
  "absoluteLifetime",
  "rolling",
  "touchAfter",
  "permanent",
  "trustProxy",
  "clearSiteData",
  "signIds",
  "migrateFrom",
  "keepLegacy",
  "dangerouslyAllowShortSecretToShareSessionsWithAnExistingApp",
] as const;

const COOKIE_OPTION_NAMES = [
  "name",
  "path",
  "domain",
  "secure",
  "httpOnly",
  "sameSite",
  "partitioned",
  "priority",
] as const;

/**
 * Refuses an option tessera does not know, naming the closest one it does: a misspelt
 * `lifeTime` would otherwise be ignored silently and every session would get the default.
 */
function checkOptionNames(
  given: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue;
    const closest = closestName(name, known);
    throw new ConfigError(
      `Unknown session option ${JSON.stringify(prefix + name)}${closest === undefined ? "" : `; did you mean ${JSON.stringify(prefix + closest)}?`} The options are: ${known.map((known) => prefix + known).join(", ")}.`,
    );
  }
}

/** The known name nearest to `name` (case-insensitive edit distance of at most 3), if any. */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The header value for the `clearSiteData` option, checked. */
function clearSiteDataHeader(
  option: boolean | readonly ClearSiteDataDirective[] | undefined,
): string | undefined {
  if (option === undefined || option === false) return undefined;
  const directives: readonly unknown[] =
    option === true ? ["cache", "cookies", "storage"] : Array.isArray(option) ? option : [option];
  if (directives.length === 0) return undefined;
  for (const directive of directives) {
    if (!CLEAR_SITE_DATA_DIRECTIVES.includes(directive as ClearSiteDataDirective)) {
      throw new ConfigError(
        `clearSiteData must be true, false or a list of ${CLEAR_SITE_DATA_DIRECTIVES.map((name) => JSON.stringify(name)).join(", ")}; got ${JSON.stringify(option)}.`,
      );
    }
  }
  return directives.map((directive) => `"${String(directive)}"`).join(", ");
}
