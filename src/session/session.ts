import type { FlaskFloat, FlaskTuple, FlaskUUID, Markup } from "../codecs/flask/tagged-json.ts";
import { newSessionId } from "../crypto/session-id.ts";
import { ResponseStartedError, SessionValueError, TesseraError } from "../errors.ts";
import type { SessionData } from "../stores/contract.ts";
import { ChangeSet } from "./changes.ts";
import { FLASHES_KEY, type Flash, readFlash, storedFlashes } from "./flash.ts";

/** Flask keeps the permanent flag inside the data; so does tessera, for shared sessions. */
export const PERMANENT_KEY = "_permanent";

/**
 * When a session moved from another library (`migrateFrom`) would have ended there, in ms since
 * the epoch: it never lives longer in tessera, however often it is refreshed.
 */
export const LEGACY_END_KEY = "_tessera_legacy_end";

/**
 * What a session moved from another library holds in tessera: its data, and its legacy end
 * when known. `SessionState.moveIn` and `tessera migrate` both write exactly this.
 */
export function movedData(
  data: Readonly<Record<string, unknown>>,
  endsAt: number | undefined,
): Map<string, unknown> {
  const moved = new Map<string, unknown>(Object.entries(data));
  if (endsAt !== undefined) moved.set(LEGACY_END_KEY, endsAt);
  return moved;
}

/** Keys tessera manages itself; `entries()` and `keys()` leave them out, and types forbid them. */
const RESERVED_KEYS: ReadonlySet<string> = new Set([PERMANENT_KEY, FLASHES_KEY, LEGACY_END_KEY]);
type ReservedKey = typeof PERMANENT_KEY | typeof FLASHES_KEY | typeof LEGACY_END_KEY;

/** What happens to the record the request loaded, decided by regenerate() and destroy(). */
export type OriginalFate = "keep" | "rename" | "destroy";

/** The session a request's cookie led to, as the engine found it. */
export interface LoadedSession {
  /** The store record's id; cookie sessions have none. */
  readonly id?: string;
  readonly data: SessionData;
  /** When the session began; unknown for a Flask cookie, which does not record it. */
  readonly createdAt: number | undefined;
  readonly expiresAt: number;
  /** When the cookie was signed (Flask's timestamp), for re-signing it without extending it. */
  readonly issuedAt?: number | undefined;
}

export interface SessionStateOptions {
  /** Whether a session without a stored `_permanent` flag is permanent. */
  readonly defaultPermanent: boolean;
  /**
   * The same for a session begun afresh after `destroy()`, when the loaded one read a missing
   * flag differently (Flask's formats: "not permanent"); default `defaultPermanent`.
   */
  readonly newSessionPermanent?: boolean;
  /** `clear()` keeps `_permanent`, as Flask-Session's does. */
  readonly clearKeepsPermanent?: boolean;
  /** The store's choice of id for a regenerated session (see SessionStore.renameTarget). */
  readonly renameTarget?: ((fromId: string, freshId: string) => string) | undefined;
  /**
   * The session travels whole in its cookie (format "flask" or "sealed"): there is no id, and
   * asking for one is a mistake worth a clear error rather than a random string.
   */
  readonly idless?: boolean;
  /** The cookie was signed or sealed with an older secret: send it again with the newest. */
  readonly cookieRotated?: boolean;
  /** The session is kept in Flask's format, which holds integers of any size (bigint). */
  readonly keepsBigInts?: boolean;
}

/**
 * Everything the engine needs to commit a session; the public `Session` is a thin typed view
 * over it, so the bookkeeping stays out of the user's autocomplete.
 *
 * The `loaded…` fields are the baseline: what the store (or the cookie) holds as far as this
 * request knows. A save in the middle of the request (`RequestScope.save`) moves the baseline
 * with `saved()` or `ended()`, so what the request changes afterwards is measured from there.
 */
export class SessionState {
  /** Whether the baseline is a live session (false: new, or ended by a save). */
  loaded = false;
  /** The id of the record the baseline is, if any. */
  loadedId: string | undefined;
  loadedCreatedAt: number | undefined;
  loadedExpiresAt: number | undefined;
  loadedIssuedAt: number | undefined;
  /** The cookie was signed or sealed with an older secret: send it again with the newest. */
  cookieRotated = false;
  defaultPermanent: boolean;
  readonly newSessionPermanent: boolean;
  readonly clearKeepsPermanent: boolean;
  readonly idless: boolean;
  readonly keepsBigInts: boolean;
  /**
   * Whether the application looked at or changed the session. An adapter that loads every
   * request's session up front (Express, Fastify, Hono) leaves an untouched one alone: no
   * touch, no cookie and no `Vary: Cookie`, exactly as if it had never been loaded.
   */
  accessed = false;
  /** The application asked for the expiry to move now (`touch()`), whatever `touchAfter` says. */
  touchRequested = false;
  fate: OriginalFate = "keep";
  /** Set when the commit starts: later changes could not reach the store or the client. */
  sealed = false;
  // Set by #begin, which the constructor calls.
  #data!: Map<string, unknown>;
  /** Made on the first change: most requests only read. */
  #changes: ChangeSet | undefined;
  #id: string | undefined;
  /** Values handed out by reference, with their JSON then, to find changes made in place. */
  #watched: Map<string, { value: object; json: string | undefined }> | undefined;
  readonly #renameTarget: ((fromId: string, freshId: string) => string) | undefined;

  constructor(loaded: LoadedSession | undefined, options: SessionStateOptions) {
    this.#renameTarget = options.renameTarget;
    this.defaultPermanent = options.defaultPermanent;
    this.newSessionPermanent = options.newSessionPermanent ?? options.defaultPermanent;
    this.clearKeepsPermanent = options.clearKeepsPermanent ?? false;
    this.idless = options.idless ?? false;
    this.keepsBigInts = options.keepsBigInts ?? false;
    this.#begin(loaded, options.cookieRotated ?? false);
  }

  #begin(loaded: LoadedSession | undefined, rotated: boolean): void {
    this.loaded = loaded !== undefined;
    this.loadedId = loaded?.id;
    this.loadedCreatedAt = loaded?.createdAt;
    this.loadedExpiresAt = loaded?.expiresAt;
    this.loadedIssuedAt = loaded?.issuedAt;
    this.cookieRotated = rotated;
    this.#id = loaded?.id;
    this.#data = new Map();
    if (loaded !== undefined) {
      const stored = loaded.data;
      for (const key in stored) {
        if (Object.hasOwn(stored, key)) this.#data.set(key, stored[key]);
      }
    }
    this.#changes = undefined;
    this.#watched = undefined;
    this.fate = "keep";
    this.touchRequested = false;
  }

  /** The session's data. Reading it counts as using the session. */
  get data(): Map<string, unknown> {
    this.accessed = true;
    return this.#data;
  }

  /** What this request changed, key by key. */
  get changes(): ChangeSet {
    this.#changes ??= new ChangeSet();
    return this.#changes;
  }

  /** Whether this request changed nothing (without making a change set to ask). */
  get unchanged(): boolean {
    return this.#changes === undefined || this.#changes.isEmpty;
  }

  /** The id the client holds after this response; a new session draws one on first need. */
  get id(): string {
    this.accessed = true;
    if (this.idless) {
      throw new TesseraError(
        "TESSERA_NO_SESSION_ID",
        'This session travels whole in its cookie (format "flask" or "sealed"), so it has no id. Keep your own identifier in the session (session.set("uid", ...)), or use a session store, whose sessions have ids.',
      );
    }
    this.#id ??= newSessionId();
    return this.#id;
  }

  /**
   * Begins this new session with a legacy session's data, under `id` (`migrateFrom`): all of it
   * is this request's change, and replaces whatever the store holds under that id.
   */
  moveIn(
    id: string | undefined,
    data: Readonly<Record<string, unknown>>,
    endsAt: number | undefined,
  ): void {
    this.accessed = true;
    this.#id = id;
    const changes = this.changes;
    changes.recordClear();
    for (const [key, value] of movedData(data, endsAt)) {
      this.#data.set(key, value);
      changes.recordSet(key, value);
    }
  }

  /** When a session moved from another library must end at the latest (see LEGACY_END_KEY). */
  get legacyEnd(): number | undefined {
    const end = this.#data.get(LEGACY_END_KEY);
    return typeof end === "number" ? end : undefined;
  }

  /** Starts over (a new id, for stored sessions); `keepData` distinguishes regenerate from destroy. */
  replaceId(keepData: boolean): void {
    this.accessed = true;
    if (this.loaded) {
      // Destroy wins over an earlier regenerate: renaming would carry the old data along.
      if (!keepData) this.fate = "destroy";
      else if (this.fate === "keep") this.fate = "rename";
    }
    if (!keepData) {
      this.#data = new Map();
      this.#changes = undefined;
      this.#watched = undefined;
      // What follows is a new session, permanent or not as new sessions are configured.
      this.defaultPermanent = this.newSessionPermanent;
    }
    if (this.idless) return;
    const fresh = newSessionId();
    this.#id =
      this.fate === "rename" && this.loadedId !== undefined && this.#renameTarget !== undefined
        ? this.#renameTarget(this.loadedId, fresh)
        : fresh;
  }

  /** Whether the cookie outlives the browser: the stored flag, else the configured default. */
  get permanent(): boolean {
    const stored = this.data.get(PERMANENT_KEY);
    return typeof stored === "boolean" ? stored : this.defaultPermanent;
  }

  /**
   * Remembers a value handed out by reference (an Express or Fastify `req.session.cart` read),
   * so that a change made to it in place (`cart.push(item)`) is found when the session is saved,
   * as express-session finds it. The typed Session API leaves this to `markModified`.
   */
  watch(key: string, value: object): void {
    this.#watched ??= new Map();
    if (this.#watched.get(key)?.value === value) return;
    this.#watched.set(key, { value, json: jsonOf(value) });
  }

  /** Records every watched value whose JSON changed since it was handed out. */
  recordInPlaceChanges(): void {
    if (this.#watched === undefined) return;
    for (const [key, watched] of this.#watched) {
      if (this.#data.get(key) !== watched.value) continue;
      const json = jsonOf(watched.value);
      // A value with no JSON (a cycle) counts as changed: the store then says what is wrong.
      if (json === undefined || json !== watched.json) this.changes.recordSet(key, watched.value);
    }
  }

  /**
   * The request's changes are stored (or sent in the cookie): this is the baseline now, and
   * later changes in the same request are measured from it.
   */
  saved(
    id: string | undefined,
    createdAt: number | undefined,
    expiresAt: number,
    issuedAt?: number,
  ): void {
    this.loaded = true;
    this.loadedId = id;
    this.loadedCreatedAt = createdAt;
    this.loadedExpiresAt = expiresAt;
    this.loadedIssuedAt = issuedAt;
    this.cookieRotated = false;
    this.fate = "keep";
    this.#changes = undefined;
    this.touchRequested = false;
    if (this.#watched !== undefined) {
      for (const watched of this.#watched.values()) watched.json = jsonOf(watched.value);
    }
  }

  /**
   * The session ended while saving (destroyed, or gone from the store meanwhile): what follows
   * is a new, empty session, which a late change must not turn back into the old one.
   */
  ended(): void {
    this.#begin(undefined, false);
    this.defaultPermanent = this.newSessionPermanent;
  }

  /** Takes over what `fresh` loaded (a reload): the request's changes are dropped. */
  adopt(fresh: SessionState): void {
    if (!fresh.loaded && !fresh.unchanged) {
      // Moved in from a legacy library (moveIn), not stored yet: its data is all changes.
      this.#begin(undefined, fresh.cookieRotated);
      this.#id = fresh.#id;
      this.#data = new Map(fresh.#data);
      this.#changes = fresh.#changes;
      return;
    }
    this.#begin(
      fresh.loaded
        ? {
            ...(fresh.loadedId === undefined ? {} : { id: fresh.loadedId }),
            data: Object.fromEntries(fresh.#data),
            createdAt: fresh.loadedCreatedAt,
            expiresAt: fresh.loadedExpiresAt ?? 0,
            issuedAt: fresh.loadedIssuedAt,
          }
        : undefined,
      fresh.cookieRotated,
    );
    this.defaultPermanent = fresh.defaultPermanent;
  }
}

/** The JSON of a watched value, or undefined when it has none (a cycle). */
function jsonOf(value: object): string | undefined {
  try {
    return JSON.stringify(value, (_key, item: unknown) =>
      typeof item === "bigint" ? `${item}n` : item,
    );
  } catch {
    return undefined;
  }
}

/** Values a session can hold: what survives a round trip through the store's JSON. */
export type SessionValue =
  | string
  | number
  | boolean
  | null
  | readonly SessionValue[]
  | { readonly [key: string]: SessionValue | undefined };

/**
 * What a session type may declare: keys to values that survive the store's JSON. A `Date`, a
 * `Map` or a class instance would come back as something else, so they are compile errors.
 */
export type SessionShape<T> = { [K in keyof T]: SessionValue | undefined };

/**
 * Values Flask's own cookie keeps besides JSON's, as the Flask codec reads them: Python's
 * tuples, bytes, datetimes, UUIDs, Markup, floats that are integral, and ints beyond 2^53.
 */
export type FlaskSessionValue =
  | SessionValue
  | bigint
  | FlaskTuple
  | FlaskFloat
  | FlaskUUID
  | Markup
  | Date
  | Uint8Array
  | readonly FlaskSessionValue[]
  | { readonly [key: string]: FlaskSessionValue | undefined };

/**
 * What a session type may declare with `format: "flask"`, and the widest shape a Session can
 * have: `createSessions` allows it for Flask's format only, where each of these survives.
 */
export type FlaskSessionShape<T> = { [K in keyof T]: FlaskSessionValue | undefined };

type Key<T> = Exclude<keyof T & string, ReservedKey>;

/**
 * One user's session for one request. Reads and writes are synchronous: the engine loaded the
 * record before handing the session over, and writes are collected and committed once, before
 * the response is sent. `Session<{ username: string }>` makes `get("username")` a string and
 * `get("usrename")` a compile error.
 */
export class Session<T = Record<string, SessionValue>> {
  readonly #state: SessionState;

  constructor(state: SessionState) {
    this.#state = state;
  }

  /**
   * The id the client will hold after this response. Cookie sessions (format "flask" or
   * "sealed") carry their data instead of an id, and throw here.
   */
  get id(): string {
    return this.#state.id;
  }

  /** True until the session has been stored: no record was found for this request. */
  get isNew(): boolean {
    this.#state.accessed = true;
    return !this.#state.loaded || this.#state.fate === "destroy";
  }

  /** When the stored record was created (for the absolute lifetime); undefined while new. */
  get createdAt(): Date | undefined {
    const createdAt = this.#state.loadedCreatedAt;
    return createdAt === undefined || this.isNew ? undefined : new Date(createdAt);
  }

  /**
   * When the session expires as it stands before this response refreshes it (each write, and a
   * rolling read past `touchAfter`, moves it on); undefined while the session is new.
   */
  get expiresAt(): Date | undefined {
    const expiresAt = this.#state.loadedExpiresAt;
    return expiresAt === undefined || this.isNew ? undefined : new Date(expiresAt);
  }

  /**
   * Moves the session's expiry (and re-sends a permanent session's cookie) when the response
   * is sent, even within `touchAfter` of the last refresh: for a "keep me signed in" ping.
   */
  touch(): this {
    this.#assertOpen("touch()");
    this.#state.touchRequested = true;
    return this;
  }

  get<K extends Key<T>>(key: K): T[K] | undefined {
    return this.#state.data.get(key) as T[K] | undefined;
  }

  has(key: Key<T>): boolean {
    return this.#state.data.has(key);
  }

  set<K extends Key<T>>(key: K, value: Exclude<T[K], undefined>): this {
    if (this.#state.sealed) this.#assertOpen(`set(${JSON.stringify(key)}, …)`);
    assertStorable(key, value, this.#state.keepsBigInts);
    this.#state.data.set(key, value);
    this.#state.changes.recordSet(key, value);
    return this;
  }

  delete(key: Key<T>): this {
    if (this.#state.sealed) this.#assertOpen(`delete(${JSON.stringify(key)})`);
    if (this.#state.data.delete(key)) {
      this.#state.changes.recordDelete(key);
    }
    return this;
  }

  /**
   * Removes every key, as Flask's `session.clear()`; the id and the record stay. With format
   * "flask-session" the `_permanent` flag stays too, as Flask-Session's `clear()` keeps it.
   */
  clear(): this {
    this.#assertOpen("clear()");
    const state = this.#state;
    if (state.data.size > 0 || state.loaded) {
      const permanent = state.clearKeepsPermanent ? state.data.get(PERMANENT_KEY) : undefined;
      // A session moved from another library keeps its legacy end: clearing is not a new login.
      const legacyEnd = state.legacyEnd;
      state.data.clear();
      state.changes.recordClear();
      if (permanent !== undefined) {
        state.data.set(PERMANENT_KEY, permanent);
        state.changes.recordSet(PERMANENT_KEY, permanent);
      }
      if (legacyEnd !== undefined) {
        state.data.set(LEGACY_END_KEY, legacyEnd);
        state.changes.recordSet(LEGACY_END_KEY, legacyEnd);
      }
    }
    return this;
  }

  /**
   * Marks a key as changed after mutating its value in place (`session.get("cart").push(x)`),
   * which the session cannot see by itself, as Flask's `session.modified = True`.
   */
  markModified(key: Key<T>): this {
    if (this.#state.sealed) this.#assertOpen(`markModified(${JSON.stringify(key)})`);
    if (this.#state.data.has(key)) {
      this.#state.changes.recordSet(key, this.#state.data.get(key));
    }
    return this;
  }

  keys(): Array<Key<T>> {
    return [...this.#state.data.keys()].filter((key) => !RESERVED_KEYS.has(key)) as Array<Key<T>>;
  }

  entries(): Array<[Key<T>, T[Key<T>]]> {
    return [...this.#state.data.entries()].filter(([key]) => !RESERVED_KEYS.has(key)) as Array<
      [Key<T>, T[Key<T>]]
    >;
  }

  /** The data as a plain object, for templates and JSON responses. */
  toJSON(): Partial<T> {
    return Object.fromEntries(this.entries()) as unknown as Partial<T>;
  }

  /**
   * A permanent session's cookie carries Max-Age and outlives the browser; a non-permanent one
   * ends when the browser closes (the store record still expires after the lifetime).
   */
  get permanent(): boolean {
    return this.#state.permanent;
  }

  set permanent(permanent: boolean) {
    this.#assertOpen("permanent = …");
    if (permanent === this.permanent) return;
    this.#state.data.set(PERMANENT_KEY, permanent);
    this.#state.changes.recordSet(PERMANENT_KEY, permanent);
  }

  /**
   * Issues a new id and keeps the data; the old record is removed when the response is sent.
   * Call it on login and on any change of privilege, so an id planted before login is useless.
   */
  regenerate(): this {
    this.#assertOpen("regenerate()");
    this.#state.replaceId(true);
    return this;
  }

  /**
   * Deletes the record and clears the cookie when the response is sent. The session can still
   * be used afterwards: it starts over empty with a new id (so `flash("Logged out")` works).
   */
  destroy(): this {
    this.#assertOpen("destroy()");
    this.#state.replaceId(false);
    return this;
  }

  /** Queues a message for the next request that shows flashes, as Flask's `flash()`. */
  flash(message: string, category = "message"): this {
    this.#assertOpen("flash(…)");
    const entries = storedFlashes(this.#state.data.get(FLASHES_KEY));
    entries.push([category, message]);
    this.#state.data.set(FLASHES_KEY, entries);
    this.#state.changes.recordSet(FLASHES_KEY, entries);
    return this;
  }

  /**
   * Returns the queued messages and removes them, as Flask's `get_flashed_messages()`. With a
   * category filter only those are returned and removed; the others stay queued, as do entries
   * tessera cannot read (another app's own kind of flash). Without one, the queue is emptied.
   */
  consumeFlashes(filter?: { category: string | readonly string[] }): Flash[] {
    const stored = this.#state.data.get(FLASHES_KEY);
    if (stored === undefined) return [];
    this.#assertOpen("consumeFlashes()");
    const wanted =
      filter === undefined
        ? undefined
        : new Set(typeof filter.category === "string" ? [filter.category] : filter.category);
    const taken: Flash[] = [];
    const kept: unknown[] = [];
    for (const entry of storedFlashes(stored)) {
      const flash = readFlash(entry);
      if (flash !== undefined && (wanted === undefined || wanted.has(flash.category))) {
        taken.push(flash);
      } else if (wanted !== undefined) {
        kept.push(entry);
      }
    }
    if (kept.length === 0) {
      this.#state.data.delete(FLASHES_KEY);
      this.#state.changes.recordDelete(FLASHES_KEY);
    } else {
      this.#state.data.set(FLASHES_KEY, kept);
      this.#state.changes.recordSet(FLASHES_KEY, kept);
    }
    return taken;
  }

  /** The queued messages, left in place. */
  peekFlashes(): Flash[] {
    const flashes: Flash[] = [];
    for (const entry of storedFlashes(this.#state.data.get(FLASHES_KEY))) {
      const flash = readFlash(entry);
      if (flash !== undefined) flashes.push(flash);
    }
    return flashes;
  }

  /** Throws once the commit has started. Callers that name a key check `sealed` first, so the
   * message is built only when it is thrown, not on every call. */
  #assertOpen(call: string): void {
    this.#state.accessed = true;
    if (this.#state.sealed) {
      throw new ResponseStartedError(
        `session.${call} came after the response started, so the change could reach neither the store nor the browser. Change the session before the response starts (before its status and headers are sent).`,
      );
    }
  }
}

/**
 * Rejects, at the line that made the mistake, values the store would silently change or drop.
 * Only the top level is checked: a deep walk on every `set` would cost more than it saves.
 */
function assertStorable(key: string, value: unknown, keepsBigInts: boolean): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new SessionValueError(`Session keys must be non-empty strings; got ${String(key)}.`);
  }
  switch (typeof value) {
    case "undefined":
      throw new SessionValueError(
        `session.set(${JSON.stringify(key)}, undefined): a session cannot hold undefined; use session.delete(${JSON.stringify(key)}) to remove the key.`,
      );
    case "bigint":
      if (keepsBigInts) return;
      throw new SessionValueError(
        `session.set(${JSON.stringify(key)}, …): a bigint cannot be stored here (JSON has no integers beyond 2^53); store it as a string, or use format "flask", whose cookie keeps Python ints of any size.`,
      );
    case "function":
    case "symbol":
      throw new SessionValueError(
        `session.set(${JSON.stringify(key)}, …): a ${typeof value} cannot be stored in a session; store strings, numbers, booleans, null, arrays or plain objects.`,
      );
    case "number":
      if (!Number.isFinite(value)) {
        throw new SessionValueError(
          `session.set(${JSON.stringify(key)}, ${value}): only finite numbers survive storage as JSON.`,
        );
      }
  }
}
