import type { SessionStore } from "../../src/stores/contract.ts";

export type StoreOperation = "get" | "apply" | "touch" | "destroy" | "rename";

/**
 * A real store with a tally of the calls the engine made, so tests can pin "no store read" and
 * "exactly one write". Every call goes through to the wrapped store unchanged.
 */
export class CountingStore implements SessionStore {
  readonly inner: SessionStore;
  readonly calls: Record<StoreOperation, number> = {
    get: 0,
    apply: 0,
    touch: 0,
    destroy: 0,
    rename: 0,
  };

  /** The wrapped store's choice of regenerated ids (a sharded store needs it kept). */
  readonly renameTarget?: (fromId: string, freshId: string) => string;

  constructor(inner: SessionStore) {
    this.inner = inner;
    if (inner.renameTarget !== undefined) this.renameTarget = inner.renameTarget.bind(inner);
  }

  get kind(): string {
    return this.inner.kind;
  }

  reset(): void {
    for (const key of Object.keys(this.calls) as StoreOperation[]) this.calls[key] = 0;
  }

  get writes(): number {
    return this.calls.apply + this.calls.touch + this.calls.destroy + this.calls.rename;
  }

  get: SessionStore["get"] = (id) => {
    this.calls.get++;
    return this.inner.get(id);
  };
  apply: SessionStore["apply"] = (id, patch, options) => {
    this.calls.apply++;
    return this.inner.apply(id, patch, options);
  };
  touch: SessionStore["touch"] = (id, expiresAt) => {
    this.calls.touch++;
    return this.inner.touch(id, expiresAt);
  };
  destroy: SessionStore["destroy"] = (id) => {
    this.calls.destroy++;
    return this.inner.destroy(id);
  };
  rename: SessionStore["rename"] = (from, to, options) => {
    this.calls.rename++;
    return this.inner.rename(from, to, options);
  };
  list: SessionStore["list"] = (options) => this.inner.list(options);
  purgeExpired: SessionStore["purgeExpired"] = () => this.inner.purgeExpired();
  close: SessionStore["close"] = () => this.inner.close();
}

/**
 * Fault injection for outage tests: forwards to a real store until `down` is set, then every
 * call either hangs (a store that stopped answering) or rejects (a refused connection).
 */
export class FlakyStore extends CountingStore {
  mode: "up" | "hang" | "refuse" = "up";

  override get: SessionStore["get"] = (id) => this.#gate(() => this.inner.get(id));
  override apply: SessionStore["apply"] = (id, patch, options) =>
    this.#gate(() => this.inner.apply(id, patch, options));
  override touch: SessionStore["touch"] = (id, expiresAt) =>
    this.#gate(() => this.inner.touch(id, expiresAt));

  #gate<T>(call: () => Promise<T>): Promise<T> {
    if (this.mode === "hang") return new Promise<T>(() => {});
    if (this.mode === "refuse")
      return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    return call();
  }
}

/**
 * A real store behind a network-like delay: every call waits minMs to maxMs before it runs,
 * so concurrent requests interleave their reads and writes as they do against a remote store.
 * The in-process stores answer within one turn of the event loop, which serialises requests
 * and would hide an engine that rewrites whole records and so loses concurrent changes.
 */
export function withLatency(
  inner: SessionStore,
  { minMs = 0, maxMs = 5 }: { minMs?: number; maxMs?: number } = {},
): SessionStore {
  const later = <T>(call: () => Promise<T>): Promise<T> => {
    const delay = minMs + Math.floor(Math.random() * (maxMs - minMs + 1));
    return new Promise((resolve) => setTimeout(resolve, delay)).then(call);
  };
  return {
    get kind() {
      return inner.kind;
    },
    get: (id) => later(() => inner.get(id)),
    apply: (id, patch, options) => later(() => inner.apply(id, patch, options)),
    touch: (id, expiresAt) => later(() => inner.touch(id, expiresAt)),
    destroy: (id) => later(() => inner.destroy(id)),
    rename: (from, to, options) => later(() => inner.rename(from, to, options)),
    ...(inner.renameTarget === undefined ? {} : { renameTarget: inner.renameTarget.bind(inner) }),
    list: (options) => inner.list(options),
    purgeExpired: () => inner.purgeExpired(),
    close: () => inner.close(),
  };
}
