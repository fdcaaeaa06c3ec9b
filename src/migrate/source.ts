/**
 * What tessera needs from a session library it takes over (`migrateFrom`): how to find and
 * verify that library's cookie in a request, where its session's data is, and how to remove the
 * record once the session lives in tessera. One of these per library (express-session.ts,
 * fastify-session.ts, cookie-session.ts, iron-session.ts); the engine does the rest once
 * (src/engine/legacy-sessions.ts), whatever the library.
 */
import type { DeletionOptions } from "../cookies/options.ts";
import type { RejectReason } from "../diagnostics.ts";

/** The request's cookies, as a legacy source reads them (every value sent under a name). */
export interface LegacyCookieReader {
  getAll(name: string): string[];
}

/** A legacy cookie that verified: what it leads to. */
export interface LegacyCookie {
  /**
   * What identifies the legacy session: its id in the legacy store, or, for a library that
   * keeps the whole session in its cookie, the cookie's value. tessera derives the id of the
   * session it moves to from this (keyed by tessera's secret), so two requests moving the same
   * legacy session at once, and `tessera migrate` ahead of them, all arrive at one session.
   */
  readonly key: string;
}

/** What a legacy cookie was found to be. */
export type LegacyFinding<C extends LegacyCookie = LegacyCookie> =
  /** The request carries no cookie of this library. */
  | { readonly kind: "absent" }
  /** It carries one that does not verify (forged, malformed, signed with an unknown secret). */
  | { readonly kind: "rejected"; readonly reason: RejectReason }
  | { readonly kind: "found"; readonly cookie: C };

/** A legacy session as tessera takes it over. */
export interface LegacySession {
  /** The application's data, without the library's own bookkeeping (express-session's `cookie`). */
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * When the legacy session would have ended (milliseconds since the epoch), or undefined when
   * the library records no end (then tessera's lifetime applies). The tessera session never
   * outlives it.
   */
  readonly expiresAt: number | undefined;
}

/** A cookie of the legacy library, with what a browser needs to delete it. */
export interface LegacyCookieName {
  readonly name: string;
  readonly options: DeletionOptions;
}

/**
 * A session library tessera takes sessions over from. Made by `expressSession()`,
 * `fastifySession()`, `cookieSession()` and `ironSession()` from `tessera/migrate`; an
 * application with a home-grown scheme can write its own.
 */
export interface LegacySource<C extends LegacyCookie = LegacyCookie> {
  /** The library, in messages and in the derived ids ("express-session", "iron-session", ...). */
  readonly name: string;
  /**
   * Whether the library keeps its sessions in a store, the cookie holding an id. Such a session
   * moves to an id derived from the legacy one, so racing requests and `tessera migrate` meet
   * in one session. A session that lived whole in its cookie moves to a fresh random id instead:
   * two browsers may hold byte-identical cookies (the same data), and must not share a session.
   */
  readonly keepsRecords: boolean;
  /** Every cookie the library sets, to clear once its session has moved. */
  readonly cookies: readonly LegacyCookieName[];
  /** Finds and verifies the library's cookie in the request; no I/O. */
  find(cookies: LegacyCookieReader): LegacyFinding<C>;
  /**
   * The live session the cookie leads to, or undefined when it leads nowhere (unknown, ended,
   * expired, or a record this library did not write). A store that fails rejects: the request
   * answers 503, and the legacy session stays where it is for the next attempt.
   */
  read(cookie: C, now: number): LegacySession | undefined | Promise<LegacySession | undefined>;
  /**
   * Deletes the legacy record, once the session lives in tessera; undefined when the library
   * keeps no record (its session was all in the cookie).
   */
  forget(cookie: C): Promise<void> | undefined;
}
