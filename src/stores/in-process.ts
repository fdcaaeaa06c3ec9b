/**
 * The stores that do their work in this process without waiting for I/O: memoryStore, and
 * sqliteStore (node:sqlite calls are synchronous). Each of their calls has finished by the
 * time it returns its promise, so a deadline could never fire first, and the engine sets none.
 *
 * Known by identity rather than by a flag on the store: a wrapper around one of them (a proxy,
 * `Object.create(store)`, an artificial delay in a test) is another object, and keeps its
 * deadline, whatever it copies or inherits.
 */
const inProcess = new WeakSet<object>();

export function markInProcess<T extends object>(store: T): T {
  inProcess.add(store);
  return store;
}

export function isInProcess(store: object): boolean {
  return inProcess.has(store);
}
