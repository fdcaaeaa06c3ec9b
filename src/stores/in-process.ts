/**
 * The stores that do their work in this process without waiting for I/O: memoryStore, and
 * sqliteStore (node:sqlite calls are synchronous). Each of their calls has finished by the
 * time it returns its promise, so a deadline could never fire first, and the engine sets none;
 * and a read can be had at once (`readNow`), so a request that reads its session waits on no
 * promise but the one the application awaits.
 *
 * Known by identity rather than by a flag on the store: a wrapper around one of them (a proxy,
 * `Object.create(store)`, an artificial delay in a test) is another object, and keeps its
 * deadline and its asynchronous reads, whatever it copies or inherits.
 */
import type { StoredSession } from "./contract.ts";

/** `get`, done at once: the record, or undefined; throws as `get` would reject. */
export type ReadNow = (id: string) => StoredSession | undefined;

const inProcess = new WeakMap<object, ReadNow>();

export function markInProcess<T extends object>(store: T, readNow: ReadNow): T {
  inProcess.set(store, readNow);
  return store;
}

export function isInProcess(store: object): boolean {
  return inProcess.has(store);
}

/** The store's synchronous read, for a store marked in-process; undefined for any other. */
export function readNowOf(store: object): ReadNow | undefined {
  return inProcess.get(store);
}
