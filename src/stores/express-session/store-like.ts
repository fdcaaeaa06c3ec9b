/**
 * The shape of an express-session store, as the bridge uses it. It is structural and loose on
 * purpose: express-session's `Store` class, connect-redis (whose methods are async and take an
 * optional callback), connect-pg-simple, express-session's MemoryStore and hand-written stores
 * all fit it, and the bridge imports none of them.
 */

/** A Node-style callback: a truthy `error` is a failure, as express-session reads it. */
export type StoreCallback = (error?: unknown, value?: unknown) => void;

/**
 * An express-session store. Each method answers through its callback, or through the promise
 * it returns, or both (the first answer counts). Only `get`, `set` and `destroy` are required;
 * `all` makes listing possible. `touch` is not used: connect-redis and connect-pg-simple move
 * only their own TTL there, leaving the record's `cookie.expires`, which the bridge reads,
 * behind.
 */
export interface ExpressSessionStoreLike {
  get(sid: string, callback: StoreCallback): unknown;
  set(sid: string, session: object, callback: StoreCallback): unknown;
  destroy(sid: string, callback: StoreCallback): unknown;
  /**
   * Every live session: an array of records each carrying its `id` (connect-redis) or an
   * object from id to record (express-session's MemoryStore).
   */
  all?(callback: StoreCallback): unknown;
}

/** The methods the bridge calls, by name. */
export type StoreMethod = "get" | "set" | "destroy" | "all";
