/**
 * The record the bridge keeps in an express-session store, laid out as express-session lays out
 * its own, so the store computes its TTL as it always does and an express-session app reading
 * the store sees a session it understands:
 *
 *     { ...sessionData,
 *       cookie: { originalMaxAge, expires: "<ISO date>", httpOnly: true, path: "/" },
 *       __tessera: { createdAt, shadowed? } }
 *
 * - `cookie.expires` is tessera's `expiresAt`. express-session stores derive their expiry from
 *   it (connect-redis a TTL in whole seconds, rounded up; connect-pg-simple an `expire` column;
 *   MemoryStore checks it on read), and the bridge reads it back to the millisecond: a record
 *   whose `cookie.expires` has passed reads as no session, whatever the store still holds.
 *   The other cookie fields are informational (express-session's Cookie wants them); tessera's
 *   own cookie options decide the real cookie.
 * - `__tessera` (BOOKKEEPING_KEY) is the bridge's bookkeeping: `createdAt`, which the absolute
 *   lifetime needs and express-session has no place for, and `shadowed`, the session keys that
 *   are named like the record's own ("cookie", "__tessera"), kept there so they round-trip
 *   instead of clobbering the record.
 *
 * A record without a valid `cookie.expires` or bookkeeping (one express-session or another
 * program wrote) reads as no session, as a corrupt record does in every tessera store.
 */
import { ArgumentError } from "../../errors.ts";
import type { SessionData, StoredSession } from "../contract.ts";

/** The record key holding the bridge's bookkeeping. */
export const BOOKKEEPING_KEY = "__tessera";

/** The record's own keys; a session key with one of these names is kept in `shadowed`. */
const RECORD_KEYS: ReadonlySet<string> = new Set(["cookie", BOOKKEEPING_KEY]);

export interface RecordTimes {
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** The record to write for `data` (key to JSON-compatible value) and its times. */
export function recordOf(
  data: ReadonlyMap<string, unknown>,
  times: RecordTimes,
  now: number,
): Record<string, unknown> {
  const expires = isoDate(times.expiresAt, "expiresAt");
  isoDate(times.createdAt, "createdAt");
  const entries: [string, unknown][] = [];
  const shadowed: [string, unknown][] = [];
  for (const entry of data) (RECORD_KEYS.has(entry[0]) ? shadowed : entries).push(entry);
  const bookkeeping: Record<string, unknown> = { createdAt: times.createdAt };
  if (shadowed.length > 0) bookkeeping.shadowed = Object.fromEntries(shadowed);
  entries.push(
    [
      "cookie",
      {
        originalMaxAge: Math.max(0, times.expiresAt - now),
        expires,
        httpOnly: true,
        path: "/",
      },
    ],
    [BOOKKEEPING_KEY, bookkeeping],
  );
  // fromEntries defines each key as an own property, so "__proto__" stays an ordinary key.
  return Object.fromEntries(entries);
}

/** The live session a record holds, or undefined when it holds none (expired, not ours). */
export function storedSessionOf(record: unknown, now: number): StoredSession | undefined {
  if (!isObject(record)) return undefined;
  const expiresAt = expiryOf(record.cookie);
  if (expiresAt === undefined || expiresAt <= now) return undefined;
  const bookkeeping = record[BOOKKEEPING_KEY];
  if (!isObject(bookkeeping)) return undefined;
  const createdAt = bookkeeping.createdAt;
  if (typeof createdAt !== "number" || !Number.isFinite(createdAt)) return undefined;
  const data = new Map<string, unknown>();
  for (const entry of Object.entries(record)) if (!RECORD_KEYS.has(entry[0])) data.set(...entry);
  if (isObject(bookkeeping.shadowed)) {
    for (const entry of Object.entries(bookkeeping.shadowed)) data.set(...entry);
  }
  return { data: Object.fromEntries(data) as SessionData, createdAt, expiresAt };
}

/** The session's data as a Map (so "__proto__" stays an ordinary key while it is patched). */
export function dataMap(data: SessionData | undefined): Map<string, unknown> {
  return new Map(data === undefined ? [] : Object.entries(data));
}

/** `cookie.expires` in milliseconds: an ISO string as JSON keeps it, a Date, or a number. */
function expiryOf(cookie: unknown): number | undefined {
  if (!isObject(cookie)) return undefined;
  const expires = cookie.expires;
  const time =
    typeof expires === "string"
      ? Date.parse(expires)
      : expires instanceof Date
        ? expires.getTime()
        : expires;
  return typeof time === "number" && Number.isFinite(time) ? time : undefined;
}

function isoDate(time: number, name: string): string {
  const date = new Date(time);
  if (!Number.isFinite(time) || Number.isNaN(date.getTime())) {
    throw new ArgumentError(
      `${name} must be a time in milliseconds since the epoch that a Date can hold; got ${String(time)}.`,
    );
  }
  return date.toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
