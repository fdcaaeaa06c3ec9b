/**
 * The source for libraries whose cookie holds a signed session id and whose data is in a store:
 * express-session (`connect.sid`, `s:<id>.<sig>`) and @fastify/session (`sessionId`,
 * `<id>.<sig>`). They differ only in their defaults (express-session.ts, fastify-session.ts);
 * both keep the session as one JSON object whose `cookie` key is their own bookkeeping.
 */
import { createHmac } from "node:crypto";
import { ConfigError } from "../errors.ts";
import { MAX_SESSION_COOKIE_VALUES } from "../transport/session-cookie.ts";
import { unsignId } from "./cookie-signature.ts";
import {
  type LegacyRecord,
  type LegacyRecords,
  type LegacyRecordsOptions,
  legacyRecords,
} from "./legacy-records.ts";
import type { LegacyCookie, LegacyFinding, LegacySession, LegacySource } from "./source.ts";

/** The options both libraries' sources take, besides where the records are. */
export interface SignedIdCookieOptions {
  /** The library's `secret`: one, or a list (the first signs, all verify), as it was given. */
  readonly secret: string | readonly string[];
  /** The path and domain its cookie was set with, to delete it (default path "/"). */
  readonly cookie?: { readonly path?: string; readonly domain?: string };
}

export interface SignedIdDefaults {
  readonly library: string;
  readonly cookieName: string;
  /** What precedes the signed id in the cookie ("s:" for express-session). */
  readonly prefix: string;
  readonly algorithm: string;
}

interface FoundId extends LegacyCookie {
  readonly id: string;
}

export function signedIdSource(
  options: SignedIdCookieOptions & { readonly records: LegacyRecords | undefined },
  defaults: SignedIdDefaults,
): LegacySource<FoundId> {
  const secrets = secretsOf(options.secret, defaults.library);
  const { cookieName, prefix, algorithm, library } = defaults;
  checkAlgorithm(algorithm, library);
  const records = options.records;
  return {
    keepsRecords: true,
    name: library,
    cookies: [{ name: cookieName, options: deletionOptions(options.cookie) }],
    find(cookies): LegacyFinding<FoundId> {
      // At most as many values as tessera reads of its own cookie: each costs an HMAC per secret.
      const values = cookies.getAll(cookieName).slice(0, MAX_SESSION_COOKIE_VALUES);
      if (values.length === 0) return { kind: "absent" };
      let reason: "malformed" | "bad-signature" = "malformed";
      // A sibling subdomain may plant a cookie of the same name: the first that verifies wins.
      for (const value of values) {
        if (!value.startsWith(prefix)) continue;
        reason = "bad-signature";
        const id = unsignId(value.slice(prefix.length), secrets, algorithm);
        if (id !== undefined) return { kind: "found", cookie: { key: id, id } };
      }
      return { kind: "rejected", reason };
    },
    async read(cookie, now): Promise<LegacySession | undefined> {
      // Without a store, only sessions `tessera migrate` moved ahead of time can be found.
      if (records === undefined) return undefined;
      const found = await records.read(cookie.id);
      return found === undefined ? undefined : sessionOfRecord(found, now);
    },
    forget(cookie) {
      return records?.remove(cookie.id);
    },
  };
}

/** The records a source reads from its options, or none when it was given no store. */
export function recordsFrom(
  options: Partial<LegacyRecordsOptions>,
  who: string,
): LegacyRecords | undefined {
  const { store, redis, postgres } = options as Record<string, unknown>;
  if (store === undefined && redis === undefined && postgres === undefined) return undefined;
  return legacyRecords(options as LegacyRecordsOptions, who);
}

/**
 * The session an express-session style record holds: its keys but `cookie`, alive until the
 * earlier of its `cookie.expires` and the store's own expiry. A record that is not an object, or
 * whose end has passed, holds none.
 */
export function sessionOfRecord(found: LegacyRecord, now: number): LegacySession | undefined {
  const { record } = found;
  if (record === null || typeof record !== "object" || Array.isArray(record)) return undefined;
  const cookie = (record as { cookie?: unknown }).cookie;
  const cookieExpires =
    cookie !== null && typeof cookie === "object"
      ? timeOf((cookie as { expires?: unknown }).expires)
      : undefined;
  const ends = [cookieExpires, found.storeExpiresAt].filter(
    (time): time is number => time !== undefined,
  );
  const expiresAt = ends.length === 0 ? undefined : Math.min(...ends);
  if (expiresAt !== undefined && expiresAt <= now) return undefined;
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    // defineProperty, so a key named "__proto__" stays data and changes no prototype.
    if (key !== "cookie")
      Object.defineProperty(data, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return { data, expiresAt };
}

function timeOf(value: unknown): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const time = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(time) ? time : undefined;
}

/** An HMAC digest node:crypto knows, checked at startup rather than on each request. */
function checkAlgorithm(algorithm: string, library: string): void {
  try {
    createHmac(algorithm, "check");
  } catch {
    throw new ConfigError(
      `${library}'s source was given algorithm ${JSON.stringify(algorithm)}, which node:crypto does not know as an HMAC digest; give the one the app signed its cookies with ("sha256" by default).`,
    );
  }
}

function secretsOf(secret: unknown, library: string): readonly string[] {
  const list = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0 || !list.every((item) => typeof item === "string" && item.length > 0)) {
    throw new ConfigError(
      `${library}'s source needs the secret ${library} signed its cookies with: a non-empty string, or the list of them it was given (newest first); got ${Array.isArray(secret) ? `a list of ${list.length}` : typeof secret}.`,
    );
  }
  return list as string[];
}

export function deletionOptions(
  cookie: { readonly path?: string; readonly domain?: string } | undefined,
): {
  path: string;
  domain?: string;
} {
  return {
    path: cookie?.path ?? "/",
    ...(cookie?.domain === undefined ? {} : { domain: cookie.domain }),
  };
}
