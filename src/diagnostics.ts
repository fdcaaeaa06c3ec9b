/**
 * tessera's events, published on `node:diagnostics_channel` as undici and Fastify publish
 * theirs: a logger, a metrics exporter or an anomaly detector subscribes by name, and nothing is
 * built, hashed or timed while no one does (each publisher checks `hasSubscribers` first).
 *
 * | channel                      | message                         | when                                     |
 * | ---------------------------- | ------------------------------- | ---------------------------------------- |
 * | `tessera:session:load`       | {@link SessionLoadMessage}      | a request's session was read             |
 * | `tessera:session:reject`     | {@link SessionRejectMessage}    | a session cookie was refused, and why    |
 * | `tessera:session:commit`     | {@link SessionCommitMessage}    | a session was created or changed         |
 * | `tessera:session:touch`      | {@link SessionTouchMessage}     | a session's expiry was refreshed         |
 * | `tessera:session:regenerate` | {@link SessionRegenerateMessage}| a session moved to a new id              |
 * | `tessera:session:destroy`    | {@link SessionDestroyMessage}   | a session ended (destroyed or emptied)   |
 * | `tessera:store:call`         | {@link StoreCallMessage}        | a store call finished: latency, outcome  |
 * | `tessera:store:error`        | {@link StoreErrorMessage}       | a store call failed or timed out         |
 * | `tessera:store:corrupt`      | {@link StoreCorruptMessage}     | a stored record could not be read        |
 * | `tessera:session:migrate`    | {@link SessionMigrateMessage}   | a legacy session cookie was met (`migrateFrom`) |
 *
 * Session ids are bearer secrets, so no message carries one: `sessionRef` is the first 16 hex
 * digits of the id's SHA-256, enough to follow one session through a log and useless to replay.
 */
import { createHash } from "node:crypto";
import { channel } from "node:diagnostics_channel";
import type { SessionFormat } from "./engine/options.ts";

/** Why a session cookie was not accepted. */
export type RejectReason =
  /** The value is not shaped like a token of this format (wrong length, characters, parts). */
  | "malformed"
  /** Shaped right, but no secret in the keyring signed it (forged, tampered, or rotated out). */
  | "bad-signature"
  /** Signed, but past its lifetime (idle or absolute). */
  | "expired"
  /** Signed, but the store holds no session under that id (ended, purged, never stored). */
  | "unknown-id"
  /** Signed, but nested deeper than tessera's formats may hold (see `MAX_DEPTH`). */
  | "too-deep";

export interface SessionLoadMessage {
  readonly format: SessionFormat;
  /** Whether a live session was found; false means the request starts a fresh one. */
  readonly found: boolean;
  /** Undefined for cookie sessions, which have no id. */
  readonly sessionRef: string | undefined;
}

export interface SessionRejectMessage {
  readonly format: SessionFormat;
  readonly reason: RejectReason;
  /** The cookie's name, so two apps on one host can be told apart. */
  readonly cookieName: string;
}

export interface SessionCommitMessage {
  readonly format: SessionFormat;
  /** "create": a new session was stored (or its cookie first sent); "update": a change. */
  readonly kind: "create" | "update";
  readonly sessionRef: string | undefined;
}

export interface SessionTouchMessage {
  readonly format: SessionFormat;
  readonly sessionRef: string | undefined;
  /** The new expiry, ms since the epoch. */
  readonly expiresAt: number;
}

export interface SessionRegenerateMessage {
  readonly format: SessionFormat;
  readonly fromRef: string;
  readonly toRef: string;
}

export interface SessionDestroyMessage {
  readonly format: SessionFormat;
  readonly sessionRef: string | undefined;
  /** "destroy": `session.destroy()`; "emptied": every key removed; "gone": ended elsewhere. */
  readonly cause: "destroy" | "emptied" | "gone";
}

export interface StoreCallMessage {
  /** The store's kind: "sqlite", "redis", "postgres", "memory"… */
  readonly store: string;
  /** get, apply, touch, destroy or rename. */
  readonly operation: string;
  readonly durationMs: number;
  readonly ok: boolean;
}

export interface StoreErrorMessage {
  readonly store: string;
  readonly operation: string;
  readonly durationMs: number;
  /** The error the request sees (a StoreUnavailableError, or a SessionValueError). */
  readonly error: Error;
}

export interface StoreCorruptMessage {
  readonly store: string;
  readonly sessionRef: string;
  /** What was wrong with it, for the operator (never the record's content). */
  readonly problem: string;
}

export interface SessionMigrateMessage {
  /** The library the session came from ("express-session", "iron-session"...). */
  readonly source: string;
  /**
   * "moved": the legacy session now lives in tessera (`sessionRef` is its new id's);
   * "rejected": the legacy cookie did not verify (`reason` says why); "unknown": it verified
   * but led to no live session; "cleanup-failed": the legacy record could not be deleted
   * (`error`), and stays until its own expiry.
   */
  readonly outcome: "moved" | "rejected" | "unknown" | "cleanup-failed";
  readonly reason?: RejectReason;
  readonly sessionRef?: string;
  readonly error?: Error;
}

/** The channels, by name; subscribe with `diagnostics_channel.subscribe(name, fn)` or these. */
export const channels = {
  load: channel("tessera:session:load"),
  reject: channel("tessera:session:reject"),
  commit: channel("tessera:session:commit"),
  touch: channel("tessera:session:touch"),
  regenerate: channel("tessera:session:regenerate"),
  destroy: channel("tessera:session:destroy"),
  storeCall: channel("tessera:store:call"),
  storeError: channel("tessera:store:error"),
  storeCorrupt: channel("tessera:store:corrupt"),
  migrate: channel("tessera:session:migrate"),
} as const;

/** Every channel's name, for a logger that subscribes to them all. */
export const channelNames: readonly string[] = Object.values(channels).map((each) =>
  String(each.name),
);

/** A loggable stand-in for a session id: the first 16 hex digits of its SHA-256. */
export function sessionRefOf(id: string): string {
  return createHash("sha256").update(id).digest("hex").slice(0, 16);
}

/**
 * Reports a record a store could not read (it then counts as no session). Cheap when no one
 * listens: the id is hashed only for a subscriber.
 */
export function reportCorruptRecord(store: string, id: string, problem: string): void {
  if (!channels.storeCorrupt.hasSubscribers) return;
  const message: StoreCorruptMessage = { store, sessionRef: sessionRefOf(id), problem };
  channels.storeCorrupt.publish(message);
}

/**
 * Reports a refused session cookie. Publishers call it only for a refusal, which is rare on a
 * healthy site and common under attack: cheap when no one listens either way.
 */
export function reportRejectedCookie(
  format: SessionFormat,
  cookieName: string,
  reason: RejectReason,
): void {
  if (!channels.reject.hasSubscribers) return;
  const message: SessionRejectMessage = { format, reason, cookieName };
  channels.reject.publish(message);
}

/** Reports what became of a legacy session cookie (see SessionMigrateMessage). */
export function reportMigration(message: SessionMigrateMessage): void {
  if (channels.migrate.hasSubscribers) channels.migrate.publish(message);
}
