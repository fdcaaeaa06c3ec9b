/**
 * express-session stores written by hand, one per API style the bridge must take: each keeps
 * JSON strings in a Map (as express-session's MemoryStore does, so reads are fresh copies) and
 * nothing else. They are not stand-ins for a service; they are the API shapes under test.
 */

type Callback = (error?: unknown, value?: unknown) => void;

/** Keeps records as JSON text; leaves expiry to the bridge (like a store with no TTL). */
class JsonRecords {
  readonly records = new Map<string, string>();

  read(sid: string): unknown {
    const json = this.records.get(sid);
    return json === undefined ? null : JSON.parse(json);
  }

  write(sid: string, session: object): void {
    this.records.set(sid, JSON.stringify(session));
  }

  everything(): Record<string, unknown> {
    return Object.fromEntries([...this.records].map(([sid, json]) => [sid, JSON.parse(json)]));
  }
}

/** The classic style: every method answers through its callback, on a later turn. */
export class CallbackStore extends JsonRecords {
  get(sid: string, callback: Callback): void {
    const record = this.read(sid);
    setImmediate(() => callback(null, record));
  }

  set(sid: string, session: object, callback: Callback): void {
    this.write(sid, session);
    setImmediate(() => callback(null));
  }

  destroy(sid: string, callback: Callback): void {
    this.records.delete(sid);
    setImmediate(() => callback(null));
  }
}

/** As CallbackStore, plus `all()` answering an object from id to record (MemoryStore's shape). */
export class ListingCallbackStore extends CallbackStore {
  all(callback: Callback): void {
    const all = this.everything();
    setImmediate(() => callback(null, all));
  }
}

/** The promise style with no callback parameter at all: async methods only. */
export class PromiseStore extends JsonRecords {
  async get(sid: string): Promise<unknown> {
    return this.read(sid);
  }

  async set(sid: string, session: object): Promise<void> {
    this.write(sid, session);
  }

  async destroy(sid: string): Promise<void> {
    this.records.delete(sid);
  }

  /** An array of records each carrying its id (connect-redis's shape). */
  async all(): Promise<unknown[]> {
    return Object.entries(this.everything()).map(([id, record]) => ({
      ...(record as object),
      id,
    }));
  }
}
