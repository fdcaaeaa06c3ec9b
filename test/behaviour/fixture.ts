/**
 * What a test server needs on any runtime (Node, Bun, Deno): the session manager a ServeConfig
 * describes, and the probe the shared suites use to look into its store and make it fail. The
 * config is plain data, so a server in another runtime builds the very same fixture.
 */
import { createClient } from "redis";
import { createSessions, type SessionManager } from "../../src/engine/manager.ts";
import type { SessionOptions } from "../../src/engine/options.ts";
import type { SessionValue } from "../../src/session/session.ts";
import type { ApplyOptions, SessionStore, StoredSession } from "../../src/stores/contract.ts";
import { memoryStore } from "../../src/stores/memory.ts";
import { redisStore } from "../../src/stores/redis/index.ts";
import {
  CountingStore,
  FlakyStore,
  type StoreOperation,
  withLatency,
} from "../support/counting-store.ts";

/** The store behind a test server, described as data. */
export interface StoreSpec {
  readonly kind: "memory" | "sqlite" | "redis";
  /** sqlite: the database file. */
  readonly path?: string;
  /** redis: the server and the key prefix (unique per test run, removed afterwards). */
  readonly url?: string;
  readonly prefix?: string;
  /** Delay every store call by minMs..maxMs, as a store across a network does. */
  readonly latency?: { readonly minMs: number; readonly maxMs: number };
}

/** Session options as data (no store object), plus the store to build. */
export interface ServeConfig {
  readonly options: Record<string, unknown>;
  readonly store?: StoreSpec;
}

export type StoreCounts = Record<StoreOperation, number> & { readonly writes: number };

/** A patch as JSON carries it. */
export interface PortablePatch {
  readonly clear?: boolean;
  readonly set?: Readonly<Record<string, unknown>>;
  readonly delete?: readonly string[];
}

/**
 * The suites' view into a server's store: call counts, the records themselves (without the
 * latency or the counting), and the switch that makes the store hang or refuse.
 */
export interface StoreProbe {
  counts(): Promise<StoreCounts>;
  reset(): Promise<void>;
  get(id: string): Promise<StoredSession | undefined>;
  touch(id: string, expiresAt: number): Promise<void>;
  destroy(id: string): Promise<void>;
  apply(id: string, patch: PortablePatch, options: ApplyOptions): Promise<boolean>;
  setMode(mode: FlakyStore["mode"]): Promise<void>;
}

export interface Fixture {
  readonly manager: SessionManager<Record<string, SessionValue>>;
  /** Undefined for cookie sessions, which have no store. */
  readonly probe: StoreProbe | undefined;
  close(): Promise<void>;
}

export async function buildFixture(config: ServeConfig): Promise<Fixture> {
  if (config.store === undefined) {
    const manager = createSessions<Record<string, SessionValue>>(
      config.options as unknown as SessionOptions,
    );
    return { manager, probe: undefined, close: () => manager.close() };
  }
  const { store: raw, release } = await openStore(config.store);
  const latency = config.store.latency;
  const flaky = new FlakyStore(latency === undefined ? raw : withLatency(raw, latency));
  const counting = new CountingStore(flaky);
  const manager = createSessions<Record<string, SessionValue>>({
    ...(config.options as unknown as SessionOptions),
    store: counting,
  } as SessionOptions);
  const probe: StoreProbe = {
    counts: async () => ({ ...counting.calls, writes: counting.writes }),
    reset: async () => counting.reset(),
    get: (id) => raw.get(id),
    touch: (id, expiresAt) => raw.touch(id, expiresAt),
    destroy: (id) => raw.destroy(id),
    apply: (id, patch, options) =>
      raw.apply(
        id,
        {
          clear: patch.clear ?? false,
          set: new Map(Object.entries(patch.set ?? {})),
          delete: new Set(patch.delete ?? []),
        },
        options,
      ),
    setMode: async (mode) => {
      flaky.mode = mode;
    },
  };
  return {
    manager,
    probe,
    close: async () => {
      await manager.close();
      await release();
    },
  };
}

async function openStore(
  spec: StoreSpec,
): Promise<{ store: SessionStore; release: () => Promise<void> }> {
  switch (spec.kind) {
    case "memory":
      return { store: memoryStore(), release: async () => {} };
    case "sqlite": {
      // Loaded only here: a runtime without node:sqlite never asks for it.
      const { sqliteStore } = await import("../../src/stores/sqlite.ts");
      return { store: sqliteStore({ path: spec.path ?? ":memory:" }), release: async () => {} };
    }
    case "redis": {
      const client = createClient({ url: spec.url ?? "redis://127.0.0.1:6379" });
      client.on("error", () => {});
      await client.connect();
      return {
        store: redisStore({ client, prefix: spec.prefix ?? "tessera-test:" }),
        release: async () => {
          await client.quit();
        },
      };
    }
  }
}

/** The probe's calls as JSON requests, so a server in another process can answer them. */
export interface ProbeRequest {
  readonly op: keyof StoreProbe;
  readonly args: readonly unknown[];
}

/** Answers one probe request against a local probe (the server side of the JSON protocol). */
export async function answerProbe(probe: StoreProbe | undefined, request: ProbeRequest) {
  if (probe === undefined) throw new Error("this server has no store to probe");
  const call = probe[request.op] as (...args: unknown[]) => Promise<unknown>;
  return { result: (await call(...request.args)) ?? null };
}

/** A probe that forwards each call to a server's `POST /__probe` endpoint. */
export function remoteProbe(url: string): StoreProbe {
  const send = async (op: keyof StoreProbe, ...args: unknown[]): Promise<any> => {
    const response = await fetch(new URL("/__probe", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ op, args }),
    });
    const body = (await response.json()) as { result?: unknown; error?: string };
    if (!response.ok) throw new Error(`probe ${op} failed: ${body.error ?? response.status}`);
    return body.result === null ? undefined : body.result;
  };
  return {
    counts: () => send("counts"),
    reset: () => send("reset"),
    get: (id) => send("get", id),
    touch: (id, expiresAt) => send("touch", id, expiresAt),
    destroy: (id) => send("destroy", id),
    apply: (id, patch, options) => send("apply", id, patch, options),
    setMode: (mode) => send("setMode", mode),
  };
}
