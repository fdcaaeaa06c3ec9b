import { MAX_NESTING, tooDeepMessage, valueNestsDeeperThan } from "../codecs/nesting.ts";
import type { CookieWriter } from "../cookies/jar.ts";
import { channels, reportRejectedCookie } from "../diagnostics.ts";
import { SessionValueError } from "../errors.ts";
import { ChangeSet } from "../session/changes.ts";
import { PERMANENT_KEY, SessionState } from "../session/session.ts";
import type { SessionStore, StoredSession } from "../stores/contract.ts";
import { isInProcess, type ReadNow, readNowOf } from "../stores/in-process.ts";
import type { CookieId, IdCookieTransport } from "../transport/id-cookie.ts";
import { WriteOrder } from "../util/write-order.ts";
import {
  publishCommit,
  publishDestroy,
  publishLoad,
  publishRegenerate,
  publishTouch,
} from "./events.ts";
import type { LegacySessions, LegacyVisit } from "./legacy-sessions.ts";
import { expiryFrom, isAlive } from "./lifetime.ts";
import type { ResolvedOptions } from "./options.ts";
import { type FlowRequest, holdsNewData, type SessionFlow } from "./session-flow.ts";
import { storeFailure, timed, withDeadline, withoutDeadline } from "./timed-store.ts";

/**
 * Server-side sessions: the cookie carries a signed id, the data lives in the store. Each
 * request costs at most one store read (none without a cookie) and one write (none when
 * nothing changed; a throttled touch for rolling expiry).
 */
export class StoreSessions implements SessionFlow {
  readonly #options: ResolvedOptions;
  readonly #store: SessionStore;
  readonly #ids: IdCookieTransport;
  /** The store's choice of id for a regenerated session, bound once rather than per request. */
  readonly #renameTarget: ((fromId: string, freshId: string) => string) | undefined;
  /** Writes to one session go out behind any that a deadline abandoned (see #write). */
  readonly #order = new WriteOrder();
  /** Calls with a deadline, or none for a store that finishes each call before returning it. */
  readonly #bounded: typeof withDeadline;
  /** Such a store's read, done at once (see in-process.ts). */
  readonly #readNow: ReadNow | undefined;
  /** The sessions of the library used before tessera (`migrateFrom`), if any. */
  readonly #legacy: LegacySessions | undefined;
  /** Sessions begun from a legacy cookie in this request, and the visit to settle. */
  readonly #moving = new WeakMap<SessionState, LegacyVisit>();

  constructor(
    options: ResolvedOptions,
    store: SessionStore,
    ids: IdCookieTransport,
    legacy?: LegacySessions,
  ) {
    this.#options = options;
    this.#legacy = legacy;
    this.#store = store;
    this.#ids = ids;
    this.#renameTarget = store.renameTarget?.bind(store);
    this.#bounded = isInProcess(store) ? withoutDeadline : withDeadline;
    this.#readNow = readNowOf(store);
  }

  load(request: FlowRequest): SessionState | Promise<SessionState> {
    const candidates = this.#ids.read(request.cookies);
    // No signed id: a new session, at once, with no store call (unless a legacy one moves in).
    if (candidates.length === 0) return this.#fresh(request);
    // Read at once from a store in this process, unless someone times store calls.
    const readNow = this.#readNow;
    if (
      readNow !== undefined &&
      !channels.storeCall.hasSubscribers &&
      !channels.storeError.hasSubscribers
    ) {
      return this.#loadNow(request, candidates, readNow);
    }
    return this.#loadFrom(request, candidates, 0);
  }

  /** #loadFrom, for a store whose reads are done at once: no promise at all when it works. */
  #loadNow(
    request: FlowRequest,
    candidates: readonly CookieId[],
    readNow: ReadNow,
  ): SessionState | Promise<SessionState> {
    for (const { id, rotated } of candidates) {
      let record: StoredSession | undefined;
      try {
        record = readNow(id);
      } catch (error) {
        const { storeDeadlines } = this.#options;
        return Promise.reject(storeFailure("get", this.#store.kind, storeDeadlines, error));
      }
      const live = this.#liveOrRejected(record, id, rotated);
      if (live !== undefined) return live;
    }
    return this.#fresh(request);
  }

  /**
   * Tries `candidates` from `index` on. Usually one. Several appear when a sibling subdomain
   * planted a cookie of the same name; the first that leads to a live record wins, so a planted
   * dead one cannot push the user out of their session.
   */
  #loadFrom(
    request: FlowRequest,
    candidates: readonly CookieId[],
    index: number,
  ): Promise<SessionState> {
    const { id, rotated } = candidates[index] as CookieId;
    return this.#call("get", (store) => store.get(id)).then((record) => {
      const live = this.#liveOrRejected(record, id, rotated);
      if (live !== undefined) return live;
      return index + 1 < candidates.length
        ? this.#loadFrom(request, candidates, index + 1)
        : this.#fresh(request);
    });
  }

  /** No live tessera session: a new one, or the legacy session the request carries. */
  #fresh(request: FlowRequest): SessionState | Promise<SessionState> {
    const visit = this.#legacy?.find(request.cookies);
    if (visit === undefined) return this.#loaded(undefined, undefined, false);
    return this.#moveIn(this.#legacy as LegacySessions, visit);
  }

  /**
   * The session a legacy cookie leads to, as a tessera session: the legacy record while it
   * exists (the old app may still be changing it), else the session it already moved to (by
   * `tessera migrate`, or a request just before this one), else a new one. Each is used, so
   * the commit settles the legacy cookie even when the application does not look.
   */
  async #moveIn(legacy: LegacySessions, visit: LegacyVisit): Promise<SessionState> {
    const now = Date.now();
    const found = await legacy.read(visit, now);
    let state: SessionState | undefined;
    if (visit.cookie !== undefined) {
      const verified = { source: visit.source, cookie: visit.cookie };
      if (found !== undefined) {
        state = this.#loaded(undefined, undefined, false);
        // A session that lived whole in its cookie takes a fresh id (see keepsRecords).
        const id = visit.source.keepsRecords ? legacy.movedId(verified) : undefined;
        state.moveIn(id, found.data, found.expiresAt);
      } else if (visit.source.keepsRecords) {
        for (const id of legacy.movedIds(verified)) {
          const moved = await this.#call("get", (store) => store.get(id));
          // Its cookie goes out with this response, as a rotated one's does.
          if (moved !== undefined && isAlive(moved, now, this.#options)) {
            state = this.#loaded(moved, id, true);
            break;
          }
        }
        if (state === undefined) legacy.reportUnknown(visit);
      }
    }
    state ??= this.#loaded(undefined, undefined, false);
    state.accessed = true;
    this.#moving.set(state, visit);
    return state;
  }

  /** The session `record` is, when it is alive; else the cookie is reported rejected. */
  #liveOrRejected(
    record: StoredSession | undefined,
    id: string,
    rotated: boolean,
  ): SessionState | undefined {
    if (record !== undefined && isAlive(record, Date.now(), this.#options)) {
      return this.#loaded(record, id, rotated);
    }
    reportRejectedCookie(
      this.#options.format,
      this.#options.cookie.name,
      record === undefined ? "unknown-id" : "expired",
    );
    return undefined;
  }

  #loaded(
    record: StoredSession | undefined,
    id: string | undefined,
    rotated: boolean,
  ): SessionState {
    publishLoad(this.#options.format, record !== undefined, id);
    return this.#stateOf(record, id, rotated);
  }

  /** The session under the baseline's id as the store holds it now (the request's changes dropped). */
  async reload(state: SessionState): Promise<SessionState> {
    const id = state.loadedId;
    const moving = this.#moving.get(state);
    if (id === undefined && moving !== undefined && this.#legacy !== undefined) {
      // Being moved in: "as it is kept now" is the legacy session, read again. The request's
      // state (still registered) settles the legacy cookie at commit; this one need not.
      const fresh = await this.#moveIn(this.#legacy, moving);
      this.#moving.delete(fresh);
      return fresh;
    }
    if (id === undefined) return this.#stateOf(undefined, undefined, false);
    const record = await this.#call("get", (store) => store.get(id));
    const alive = record !== undefined && isAlive(record, Date.now(), this.#options);
    return alive ? this.#stateOf(record, id, false) : this.#stateOf(undefined, undefined, false);
  }

  #stateOf(
    record: StoredSession | undefined,
    id: string | undefined,
    rotated: boolean,
  ): SessionState {
    return new SessionState(record === undefined ? undefined : { ...record, id: id as string }, {
      // Flask-Session keeps `_permanent` in the record, and a record without it (or with
      // False) is not permanent: Flask's reading, so both apps send the same kind of cookie.
      defaultPermanent:
        record !== undefined && this.#options.format === "flask-session"
          ? false
          : this.#options.permanent,
      newSessionPermanent: this.#options.permanent,
      clearKeepsPermanent: this.#options.format === "flask-session",
      renameTarget: this.#renameTarget,
      cookieRotated: rotated,
    });
  }

  save(
    state: SessionState,
    request: FlowRequest,
    writer: CookieWriter,
    now: number,
  ): Promise<void> | undefined {
    const legacy = this.#legacy;
    if (legacy === undefined) return this.#persist(state, request, writer, now);
    const wasLoaded = state.loaded;
    // A loaded session destroyed (a logout), even if a new one begins in its place.
    const ended = wasLoaded && state.fate === "destroy";
    const persisting = this.#persist(state, request, writer, now);
    // The common request (a read, no store call) ends no session: only a moved one has work.
    if (persisting === undefined && !this.#moving.has(state)) return undefined;
    const settle = () =>
      this.#settleLegacy(legacy, state, request, writer, ended || (wasLoaded && !state.loaded));
    return persisting === undefined ? settle() : persisting.then(settle);
  }

  /**
   * Once the session is durable: a legacy session moved in this request has its cookie and
   * record removed (see LegacySessions.settle); and a tessera session that ended takes any
   * legacy twin the browser still holds (keepLegacy) with it, or the next request would bring
   * the user back.
   */
  #settleLegacy(
    legacy: LegacySessions,
    state: SessionState,
    request: FlowRequest,
    writer: CookieWriter,
    ended: boolean,
  ): Promise<void> | undefined {
    const moving = this.#moving.get(state);
    const secure = request.requestIsSecure;
    if (moving !== undefined) {
      this.#moving.delete(state);
      if (state.loaded) legacy.reportMoved(moving, state.loadedId as string);
      return legacy.settle(moving, writer, secure, state.loaded);
    }
    if (!ended) return undefined;
    const visit = legacy.find(request.cookies);
    return visit === undefined ? undefined : legacy.settle(visit, writer, secure, false);
  }

  #persist(
    state: SessionState,
    request: FlowRequest,
    writer: CookieWriter,
    now: number,
  ): Promise<void> | undefined {
    const { loadedId, loadedCreatedAt, loadedExpiresAt } = state;
    const secure = request.requestIsSecure;
    if (loadedId === undefined || loadedCreatedAt === undefined || loadedExpiresAt === undefined) {
      if (holdsNewData(state)) return this.#create(writer, state, state.changes, now, secure);
      // A cookie that led nowhere (forged, unknown, expired) is dropped so it stops costing
      // a verification and a store read on every request, except a Flask-Session one: the
      // Flask app may still read what tessera could not (as Flask-Session itself, leave it).
      if (this.#options.format !== "flask-session" && this.#ids.present(request.cookies)) {
        this.#ids.clear(writer, secure);
      }
      return undefined;
    }
    const expiresAt = Math.min(
      expiryFrom(now, loadedCreatedAt, this.#options),
      state.legacyEnd ?? Number.POSITIVE_INFINITY,
    );
    if (state.fate !== "destroy" && state.data.size === 0) {
      // Emptied (logged out by deleting its keys, or its last flash read), or an empty record
      // left by an older version: a record holding nothing and a cookie leading to it would only
      // cost a read on every request. As Flask and Flask-Session, the session ends: no record,
      // no cookie.
      return this.#write("destroy", loadedId, (store) => store.destroy(loadedId)).then(() => {
        publishDestroy(this.#options.format, loadedId, "emptied");
        this.#end(writer, state, secure);
      });
    }
    switch (state.fate) {
      case "destroy":
        return this.#write("destroy", loadedId, (store) => store.destroy(loadedId)).then(() => {
          publishDestroy(this.#options.format, loadedId, "destroy");
          if (holdsNewData(state)) return this.#create(writer, state, state.changes, now, secure);
          this.#end(writer, state, secure);
        });
      case "rename":
        // One atomic store call moves the record and applies this request's changes, so a
        // failure cannot leave the user between two ids.
        return this.#write(
          "rename",
          loadedId,
          (store) =>
            store.rename(loadedId, state.id, { patch: storable(state.changes), expiresAt }),
          state.id,
        ).then((renamed) => {
          // The record is gone (destroyed by a logout meanwhile, or expired): the session is
          // over, and regenerating must not bring it back under a new id.
          if (!renamed) {
            publishDestroy(this.#options.format, loadedId, "gone");
            // Its old data stays gone, but what this request set (a login's user) begins a
            // session of its own: a 2xx login must not leave the browser logged out.
            const ownChanges = changesSetIn(state);
            if (ownChanges === undefined) return this.#end(writer, state, secure);
            return this.#create(writer, state, ownChanges, now, secure);
          }
          publishRegenerate(this.#options.format, loadedId, state.id);
          this.#sendId(writer, state, expiresAt, now, secure);
          state.saved(state.id, loadedCreatedAt, expiresAt);
        });
      case "keep":
        if (!state.unchanged) {
          const changes = state.changes;
          return this.#write("apply", loadedId, (store) =>
            store.apply(loadedId, storable(changes), {
              expiresAt,
              createdAt: now,
              mustExist: true,
            }),
          ).then((written) => {
            // The record was destroyed while this request ran (logout elsewhere): the session
            // is over, and this late write must not bring it back.
            if (!written) {
              publishDestroy(this.#options.format, loadedId, "gone");
              return this.#end(writer, state, secure);
            }
            publishCommit(this.#options.format, "update", loadedId);
            if (state.permanent || state.cookieRotated || changes.set.has(PERMANENT_KEY)) {
              this.#sendId(writer, state, expiresAt, now, secure);
            }
            state.saved(loadedId, loadedCreatedAt, expiresAt);
          });
        }
        if (
          state.touchRequested ||
          (this.#options.rolling && expiresAt - loadedExpiresAt >= this.#options.touchAfterMs)
        ) {
          return this.#write("touch", loadedId, (store) => store.touch(loadedId, expiresAt)).then(
            () => {
              publishTouch(this.#options.format, loadedId, expiresAt);
              if (state.permanent || state.cookieRotated)
                this.#sendId(writer, state, expiresAt, now, secure);
              state.saved(loadedId, loadedCreatedAt, expiresAt);
            },
          );
        }
        if (state.cookieRotated) {
          this.#sendId(writer, state, loadedExpiresAt, now, secure);
          state.saved(loadedId, loadedCreatedAt, loadedExpiresAt);
        }
        return undefined;
    }
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  /** The session is over (destroyed, or gone from the store meanwhile): drop its cookie. */
  #end(writer: CookieWriter, state: SessionState, secure: boolean): void {
    this.#ids.clear(writer, secure);
    state.ended();
  }

  #create(
    writer: CookieWriter,
    state: SessionState,
    patch: ChangeSet,
    now: number,
    secure: boolean,
  ): Promise<void> {
    // A session moved from another library keeps the end it had there, never a later one.
    const expiresAt = Math.min(
      expiryFrom(now, now, this.#options),
      state.legacyEnd ?? Number.POSITIVE_INFINITY,
    );
    const id = state.id;
    if (this.#options.format === "flask-session" && !patch.set.has(PERMANENT_KEY)) {
      // Flask reads a missing flag as "not permanent": the record says which it is.
      const permanent = state.permanent;
      state.data.set(PERMANENT_KEY, permanent);
      patch.recordSet(PERMANENT_KEY, permanent);
    }
    return this.#write("apply", id, (store) =>
      store.apply(id, storable(patch), { expiresAt, createdAt: now, mustExist: false }),
    ).then(() => {
      publishCommit(this.#options.format, "create", id);
      this.#sendId(writer, state, expiresAt, now, secure);
      state.saved(id, now, expiresAt);
    });
  }

  #sendId(
    writer: CookieWriter,
    state: SessionState,
    expiresAt: number,
    now: number,
    secure: boolean,
  ): void {
    const maxAge = state.permanent ? Math.max(0, Math.floor((expiresAt - now) / 1_000)) : undefined;
    this.#ids.write(writer, state.id, maxAge, secure);
  }

  /**
   * A write to session `id` (and `alsoId`, for a rename), behind any write to it that an
   * earlier request abandoned at its deadline (see WriteOrder): such a write must not land
   * after, and undo, this one once it is acknowledged.
   */
  #write<R>(
    operation: string,
    id: string,
    call: (store: SessionStore) => Promise<R>,
    alsoId?: string,
  ): Promise<R> {
    const store = this.#store;
    return this.#order.run(
      alsoId === undefined ? [id] : [id, alsoId],
      () => call(store),
      (send) => this.#call(operation, send),
    );
  }

  #call<R>(operation: string, call: (store: SessionStore) => Promise<R>): Promise<R> {
    const store = this.#store;
    const result = this.#bounded(operation, store.kind, this.#options.storeDeadlines, () =>
      call(store),
    );
    return channels.storeCall.hasSubscribers || channels.storeError.hasSubscribers
      ? timed(result, store.kind, operation)
      : result;
  }
}

/** The keys this request set, as a patch of their own; undefined when it set none. */
function changesSetIn(state: SessionState): ChangeSet | undefined {
  if (state.unchanged || state.changes.set.size === 0) return undefined;
  const patch = new ChangeSet();
  for (const [key, value] of state.changes.set) patch.recordSet(key, value);
  return patch;
}

/**
 * The patch, once no value in it nests deeper than a stored record may (MAX_NESTING, counting
 * the record around it): such a value would be written but never read back, losing the
 * session. Checked here, once for every store, and refused as the application's mistake.
 */
function storable(patch: ChangeSet): ChangeSet {
  for (const [key, value] of patch.set) {
    if (valueNestsDeeperThan(value, MAX_NESTING - 1)) {
      throw new SessionValueError(
        tooDeepMessage(`The session value for key ${JSON.stringify(key)}`),
      );
    }
  }
  return patch;
}
