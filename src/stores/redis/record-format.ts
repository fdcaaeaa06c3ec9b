/**
 * How session records are laid out in Redis: the part of the store that differs between the
 * default hash layout and the Flask-Session layout. The store around it (deadlines, outages,
 * the per-user index, SCAN) is the same for both.
 */
import type { ApplyOptions, SessionPatch, StoredSession } from "../contract.ts";

export interface RecordTimes {
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface RecordFormat {
  /** The Redis type of a session key, for SCAN's TYPE filter. */
  readonly keyType: "hash" | "string";
  /** False when records have no creation time (Flask-Session's): `createdAt` reads as now. */
  readonly keepsCreatedAt: boolean;
  /**
   * The live session under `key`, or undefined (none, expired, corrupt or foreign). A corrupt
   * record is reported (`tessera:store:corrupt`) under the session `id` the key was made from.
   */
  read(key: string, id: string): Promise<StoredSession | undefined>;
  /**
   * Encodes the write now, so a value that cannot be stored throws before anything is sent,
   * and returns the call that sends it (resolving as `SessionStore.apply`).
   */
  prepareApply(key: string, patch: SessionPatch, options: ApplyOptions): () => Promise<boolean>;
  /**
   * Moves the expiry of the session under `key` (a time in the past deletes it); resolves
   * whether there was one.
   */
  touch(key: string, expiresAt: number): Promise<boolean>;
  /** As prepareApply, for `SessionStore.rename`. */
  prepareRename(
    fromKey: string,
    toKey: string,
    patch: SessionPatch,
    expiresAt: number,
  ): () => Promise<boolean>;
  /** The times of a listed session, or undefined when it is gone. */
  times(key: string): Promise<RecordTimes | undefined>;
  /** The value the session under `key` holds for the user key, or undefined. */
  storedUser(key: string): Promise<unknown>;
  /** The times of the session under `key` when it holds the user id `user`, else undefined. */
  ownedTimes(key: string, user: string): Promise<RecordTimes | undefined>;
  /** Deletes the session under `key` if it holds the user id `user`; resolves whether it did. */
  destroyIfOwned(key: string, user: string): Promise<boolean>;
}

/** An expiry from a PTTL reply: -2 is gone (undefined), -1 is no TTL (set by hand: forever). */
export function expiryOf(remaining: unknown, now: number): number | undefined {
  const ms = Number(remaining);
  if (ms === -2 || !Number.isFinite(ms)) return undefined;
  return ms === -1 ? Number.MAX_SAFE_INTEGER : now + ms;
}
