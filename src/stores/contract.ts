/**
 * The store contract: the small set of operations the engine needs from any place that keeps
 * sessions server-side. Every store passes the shared conformance suite (`tessera/testing`).
 *
 * Times are absolute milliseconds since the epoch, so a store never has to know the session
 * lifetime rules: the engine computes `expiresAt` (idle and absolute lifetimes) and the store
 * only keeps it. A record whose `expiresAt` has passed is gone for every operation, whether or
 * not a sweep has deleted it yet.
 */

/** Session data as stored: string keys to JSON-compatible values. */
export type SessionData = Record<string, unknown>;

export interface StoredSession {
  /** The session's data as last written. */
  readonly data: SessionData;
  /** When the record was first written, for the absolute lifetime. */
  readonly createdAt: number;
  /** When the record expires unless it is touched or written again. */
  readonly expiresAt: number;
}

/**
 * What one request changed, key by key. Stores apply it atomically on top of the stored data,
 * so two concurrent requests that change different keys both keep their change; the same key
 * changed twice concurrently is last-writer-wins.
 */
export interface SessionPatch {
  /** Remove every stored key before applying `set` (the request called `session.clear()`). */
  readonly clear: boolean;
  /** Keys to write, with their new values (JSON-compatible). */
  readonly set: ReadonlyMap<string, unknown>;
  /** Keys to remove. Never overlaps `set`. */
  readonly delete: ReadonlySet<string>;
}

export interface ApplyOptions {
  /** The new expiry of the record. */
  readonly expiresAt: number;
  /** Stored as `createdAt` when the record is created by this write; ignored otherwise. */
  readonly createdAt: number;
  /**
   * True when the request loaded this record: the write updates it only if it still exists,
   * so a session destroyed meanwhile (logout on another tab) is not brought back by a late
   * write. False for a brand-new id: the write creates the record.
   */
  readonly mustExist: boolean;
}

export interface RenameOptions {
  /** The request's changes, applied to the moved record (often empty). */
  readonly patch: SessionPatch;
  /** The new expiry of the record. */
  readonly expiresAt: number;
}

export interface SessionSummary {
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface ListOptions {
  /** Stop after this many sessions. */
  readonly limit?: number;
}

/**
 * What a store can do beyond the operations every store has, declared by the store rather than
 * guessed from the methods it happens to have. A store that declares nothing keeps creation
 * times, holds the records of any server-side format, and has no user index.
 */
export interface StoreCapabilities {
  /**
   * False for a store whose records do not keep their creation time (Flask-Session's layout):
   * `createdAt` then reads as the time of the read, and an absolute lifetime cannot be kept, so
   * configuring one is refused at startup. Default true.
   */
  readonly keepsCreatedAt?: boolean;
  /**
   * The one session format the store's records are laid out for, when it is not any:
   * `"flask-session"` for Flask-Session's own records (a Flask app reads them, and only
   * Flask-Session's id cookie leads to them), `"id"` for a layout only tessera's own cookie
   * should use. The engine refuses the other formats at startup.
   */
  readonly format?: "id" | "flask-session";
  /** `listByUser` and `revokeUser` work: the store implements UserIndex. Default false. */
  readonly userIndex?: boolean;
  /**
   * False for a store that applies a patch by reading the whole record and writing it back
   * (the bridge to express-session's stores, whose API has no per-key write): two requests that
   * change different keys of one session at the same time can then lose one of the changes, the
   * last whole write winning. Default true: `apply` is one atomic operation in the store.
   */
  readonly atomicPatch?: boolean;
  /**
   * False for a store whose `rename` is several calls (write the new id, then delete the old
   * one) rather than one atomic operation: a failure between them can leave both ids live
   * until the old one expires, and a change written under the old id meanwhile is lost.
   * Default true.
   */
  readonly atomicRename?: boolean;
  /**
   * False for a store that cannot enumerate its sessions (an express-session store without
   * `all()`): `list` then rejects with a TesseraError whose code is `TESSERA_UNSUPPORTED`.
   * Default true.
   */
  readonly listing?: boolean;
}

/** A user's id, as the session keeps it: `revokeUser(42)` and `revokeUser("42")` are the same. */
export type UserId = string | number;

/** The per-user index of a store that declares `capabilities.userIndex`: "log out everywhere". */
export interface UserIndex {
  /** The live sessions of one user. */
  listByUser(userId: UserId): AsyncIterable<SessionSummary>;
  /** Ends every session of one user; resolves to how many ended. */
  revokeUser(userId: UserId): Promise<number>;
}

/** A store with a per-user index. */
export interface UserIndexStore extends SessionStore, UserIndex {}

/** Whether `store` declares a per-user index (so `listByUser` and `revokeUser` work). */
export function hasUserIndex(store: SessionStore | undefined): store is UserIndexStore {
  return store?.capabilities?.userIndex === true;
}

/** Whether `store` keeps when each session began (an absolute lifetime needs it). */
export function keepsCreatedAt(store: SessionStore): boolean {
  return store.capabilities?.keepsCreatedAt !== false;
}

export interface SessionStore {
  /** A short name for messages and the CLI, such as "sqlite" or "memory". */
  readonly kind: string;
  /** What the store can do beyond the operations below; see StoreCapabilities. */
  readonly capabilities?: StoreCapabilities;

  /** The live record for this id, or undefined when there is none (or it has expired). */
  get(id: string): Promise<StoredSession | undefined>;

  /**
   * Applies the patch atomically and sets the expiry. Resolves true when written, false when
   * `mustExist` was set and the record was gone (the engine then ends the session).
   */
  apply(id: string, patch: SessionPatch, options: ApplyOptions): Promise<boolean>;

  /** Moves the expiry of a live record without rewriting its data (rolling sessions). */
  touch(id: string, expiresAt: number): Promise<void>;

  /** Deletes the record; deleting an id that does not exist is not an error. */
  destroy(id: string): Promise<void>;

  /**
   * Moves a live record to a new id and applies `patch` to it, as one atomic operation
   * (session regeneration plus the request's changes), setting its expiry. A record already
   * under `toId` is replaced. Resolves false, changing nothing, when there was no live record
   * under `fromId` (it expired or was destroyed meanwhile: the engine then ends the session).
   */
  rename(fromId: string, toId: string, options: RenameOptions): Promise<boolean>;

  /**
   * Optional: the id a regenerated session moves to, given the id it leaves and a fresh random
   * 256-bit id. A store that shards by key (Redis Cluster) keeps the new id on the old one's
   * shard, so that `rename` stays one atomic operation; the result must keep at least 192 of
   * the fresh random bits. Stores without shards leave it out, and the fresh id is used.
   */
  renameTarget?(fromId: string, freshId: string): string;

  /** The live sessions, in no particular order. */
  list(options?: ListOptions): AsyncIterable<SessionSummary>;

  /** Deletes expired records now; resolves to how many were deleted. */
  purgeExpired(): Promise<number>;

  /** Releases timers and connections the store opened itself. */
  close(): Promise<void>;
}

/** An empty patch, for callers that only need to create or extend a record. */
export const EMPTY_PATCH: SessionPatch = Object.freeze({
  clear: false,
  set: new Map<string, unknown>(),
  delete: new Set<string>(),
});
