/**
 * A session store in this process's memory, for tests and single-process development only:
 * sessions vanish on restart and are not shared between processes or machines. Use the sqlite
 * store (or redis, postgres) for anything users depend on.
 *
 * It is bounded: past `maxEntries` the least recently used session is evicted. Values are kept
 * as JSON strings so it behaves like a real store: reads return fresh copies, and a value that
 * would not survive a real store (a Date, a Map) does not survive here either.
 */
import { ConfigError } from "../errors.ts";
import type {
  ApplyOptions,
  ListOptions,
  RenameOptions,
  SessionData,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoredSession,
} from "./contract.ts";
import { markInProcess } from "./in-process.ts";
import { listLimit, parseStoredData, serializePatchedData } from "./json-records.ts";

export interface MemoryStoreOptions {
  /** Most sessions kept at once; the least recently used one is evicted beyond it. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly json: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When it was last (re)inserted, counted in insertions: how far from the newest end it is. */
  inserted: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

export function memoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const maxEntries = validateMaxEntries(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  // A Map iterates in insertion order, so re-inserting on use keeps the least recently used
  // entry first, where eviction finds it.
  const entries = new Map<string, Entry>();
  let insertions = 0;

  function live(id: string, now: number): Entry | undefined {
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      entries.delete(id);
      return undefined;
    }
    return entry;
  }

  function put(id: string, entry: Entry): void {
    entry.inserted = ++insertions;
    entries.delete(id);
    entries.set(id, entry);
    if (entries.size > maxEntries) {
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
    }
  }

  function read(id: string): StoredSession | undefined {
    const entry = live(id, Date.now());
    if (entry === undefined) return undefined;
    // Moved to the newest end only from the older half: fewer than half the entries were put
    // after one in the newer half, so it is nowhere near eviction, and a Map delete + set on
    // every read (the hot path) is saved.
    if (insertions - entry.inserted >= Math.max(1, entries.size >>> 1)) put(id, entry);
    // Only serializePatchedData writes entries: always a JSON object, never too deep.
    const data = JSON.parse(entry.json) as SessionData;
    return { data, createdAt: entry.createdAt, expiresAt: entry.expiresAt };
  }

  const store: SessionStore = {
    kind: "memory",

    async get(id: string): Promise<StoredSession | undefined> {
      return read(id);
    },

    async apply(id: string, patch: SessionPatch, options: ApplyOptions): Promise<boolean> {
      const existing = live(id, Date.now());
      if (existing === undefined && options.mustExist) return false;
      const stored = existing === undefined ? undefined : parseStoredData(existing.json);
      put(id, {
        json: serializePatchedData(stored, patch),
        createdAt: existing?.createdAt ?? options.createdAt,
        expiresAt: options.expiresAt,
        inserted: 0,
      });
      return true;
    },

    async touch(id: string, expiresAt: number): Promise<void> {
      const existing = live(id, Date.now());
      if (existing !== undefined) put(id, { ...existing, expiresAt });
    },

    async destroy(id: string): Promise<void> {
      entries.delete(id);
    },

    async rename(fromId: string, toId: string, options: RenameOptions): Promise<boolean> {
      const existing = live(fromId, Date.now());
      // A corrupt entry counts as no session, as in get.
      const stored = existing === undefined ? undefined : parseStoredData(existing.json);
      if (existing === undefined || stored === undefined) return false;
      // Serialized before anything moves: a value that cannot be stored rejects with the
      // source still in place under its old id.
      const json = serializePatchedData(stored, options.patch);
      entries.delete(fromId);
      put(toId, { json, createdAt: existing.createdAt, expiresAt: options.expiresAt, inserted: 0 });
      return true;
    },

    async *list(options?: ListOptions): AsyncIterable<SessionSummary> {
      const limit = listLimit(options);
      // Snapshot first: a get during iteration re-inserts its entry, which a live Map
      // iterator would then visit a second time.
      const now = Date.now();
      const summaries: SessionSummary[] = [];
      for (const [id, entry] of entries) {
        if (summaries.length >= limit) break;
        if (entry.expiresAt > now) {
          summaries.push({ id, createdAt: entry.createdAt, expiresAt: entry.expiresAt });
        }
      }
      yield* summaries;
    },

    async purgeExpired(): Promise<number> {
      const now = Date.now();
      let deleted = 0;
      for (const [id, entry] of entries) {
        if (entry.expiresAt <= now) {
          entries.delete(id);
          deleted += 1;
        }
      }
      return deleted;
    },

    async close(): Promise<void> {
      entries.clear();
    },
  };
  return markInProcess(store, read);
}

function validateMaxEntries(maxEntries: number): number {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new ConfigError(
      `memoryStore maxEntries must be a positive integer; got ${String(maxEntries)}. Leave it out for the default of ${DEFAULT_MAX_ENTRIES}`,
    );
  }
  return maxEntries;
}
