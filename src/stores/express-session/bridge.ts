/**
 * `fromExpressSessionStore(store)`: any express-session store (connect-redis, connect-pg-simple,
 * connect-mongo, express-session's MemoryStore...) as a tessera SessionStore.
 *
 * express-session's API reads and writes whole sessions, so what tessera's own stores do in one
 * atomic operation is several calls here, and the capabilities say so rather than pretend:
 *
 * - `apply` reads the record, patches it and writes it back whole (`atomicPatch: false`): two
 *   requests that change different keys of one session at once can lose one change. With
 *   `mustExist`, a record destroyed between the read and the write (a logout in another tab
 *   during that window) is written back.
 * - `touch` is a read and a whole write too, since the record's `cookie.expires` must move
 *   (see store-like.ts), with the same window.
 * - `rename` reads the source, writes the target, then destroys the source
 *   (`atomicRename: false`): if the destroy fails, both ids are live until the source expires.
 * - `list` needs the store's `all()` (`listing`); there is no user index.
 * - `purgeExpired` resolves 0: express-session stores expire their records themselves (a TTL,
 *   a prune timer, a check on read), and their API has no way to sweep.
 *
 * Every operation has a deadline (`timeout`, default 1 s): a store that never answers gives a
 * StoreUnavailableError (503), not a hung request. The bridge never closes the store: the
 * application does, with the store's or its client's own close.
 */
import { ConfigError } from "../../errors.ts";
import { Deadlines } from "../../util/deadlines.ts";
import { type Duration, toMilliseconds } from "../../util/duration.ts";
import { WriteOrder } from "../../util/write-order.ts";
import type {
  ApplyOptions,
  ListOptions,
  RenameOptions,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoreCapabilities,
  StoredSession,
} from "../contract.ts";
import { listLimit } from "../json-records.ts";
import { callStore } from "./call-store.ts";
import { type Failures, failuresOf } from "./failures.ts";
import { listingUnsupported, summariesOf } from "./listing.ts";
import { copyPatch, patchedData } from "./patch.ts";
import { dataMap, recordOf, storedSessionOf } from "./record.ts";
import type { ExpressSessionStoreLike } from "./store-like.ts";

export interface ExpressSessionBridgeOptions {
  /** Give up on an operation (one or more store calls) after this long. Default "1s". */
  readonly timeout?: Duration;
}

/** The bridge: a SessionStore whose capabilities declare what express-session's API lacks. */
export interface ExpressSessionBridge extends SessionStore {
  readonly kind: "express-session";
  readonly capabilities: StoreCapabilities;
  /** The express-session store underneath, as given. */
  readonly store: ExpressSessionStoreLike;
}

export function fromExpressSessionStore(
  store: ExpressSessionStoreLike,
  options: ExpressSessionBridgeOptions = {},
): ExpressSessionBridge {
  checkStore(store);
  const timeoutMs = toMilliseconds(options.timeout ?? "1s", "fromExpressSessionStore timeout");
  if (timeoutMs <= 0) {
    throw new ConfigError(
      `fromExpressSessionStore timeout must be positive; got ${String(options.timeout)}.`,
    );
  }
  const storeName = nameOf(store);
  const canList = typeof store.all === "function";
  const deadlines = new Deadlines(timeoutMs);
  const failuresByOperation = new Map<string, Failures>();

  /** Runs one operation within the deadline, its failures mapped (see failures.ts). */
  function guarded<R>(operation: string, run: () => Promise<R>): Promise<R> {
    let failures = failuresByOperation.get(operation);
    if (failures === undefined) {
      failures = failuresOf(operation, storeName, timeoutMs);
      failuresByOperation.set(operation, failures);
    }
    return deadlines.run(run, failures.timedOut, failures.failed);
  }

  /**
   * A write to `ids`, behind any the deadline abandoned while the store still had it: such a
   * write must not land after a later one (see WriteOrder).
   */
  const order = new WriteOrder();
  function ordered<R>(
    operation: string,
    ids: readonly string[],
    run: () => Promise<R>,
  ): Promise<R> {
    return order.run(ids, run, (send) => guarded(operation, send));
  }

  /** The live session under `id`, read with the store's `get`. */
  async function read(id: string, now: number): Promise<StoredSession | undefined> {
    let record: unknown;
    try {
      record = await callStore(store, "get", [id]);
    } catch (error) {
      // express-session itself reads ENOENT from get as "no session" (file-based stores).
      if ((error as { code?: unknown } | null)?.code === "ENOENT") return undefined;
      throw error;
    }
    return storedSessionOf(record, now);
  }

  function write(id: string, record: Record<string, unknown>): Promise<unknown> {
    return callStore(store, "set", [id, record]);
  }

  return {
    kind: "express-session",
    store,
    capabilities: {
      atomicPatch: false,
      atomicRename: false,
      listing: canList,
      userIndex: false,
    },

    get(id: string): Promise<StoredSession | undefined> {
      return guarded("get", () => read(id, Date.now()));
    },

    apply(id: string, patch: SessionPatch, options: ApplyOptions): Promise<boolean> {
      return ordered("apply", [id], async () => {
        const changes = copyPatch(patch);
        const now = Date.now();
        const stored = await read(id, now);
        // Read, then write: a destroy landing in between is undone by this write (see above).
        if (stored === undefined && options.mustExist) return false;
        const times = {
          createdAt: stored?.createdAt ?? options.createdAt,
          expiresAt: options.expiresAt,
        };
        await write(id, recordOf(patchedData(stored?.data, changes), times, now));
        return true;
      });
    },

    touch(id: string, expiresAt: number): Promise<void> {
      return ordered("touch", [id], async () => {
        const now = Date.now();
        if (expiresAt <= now) {
          // Ending the record needs no read: a missing one stays missing.
          await callStore(store, "destroy", [id]);
          return;
        }
        const stored = await read(id, now);
        if (stored === undefined) return;
        const times = { createdAt: stored.createdAt, expiresAt };
        await write(id, recordOf(dataMap(stored.data), times, now));
      });
    },

    destroy(id: string): Promise<void> {
      return ordered("destroy", [id], async () => {
        await callStore(store, "destroy", [id]);
      });
    },

    rename(fromId: string, toId: string, options: RenameOptions): Promise<boolean> {
      return ordered("rename", [fromId, toId], async () => {
        const changes = copyPatch(options.patch);
        const now = Date.now();
        const source = await read(fromId, now);
        if (source === undefined) return false;
        const times = { createdAt: source.createdAt, expiresAt: options.expiresAt };
        // Target first: a failure before the destroy leaves the session under its old id.
        await write(toId, recordOf(patchedData(source.data, changes), times, now));
        if (toId !== fromId) await callStore(store, "destroy", [fromId]);
        return true;
      });
    },

    async *list(listOptions?: ListOptions): AsyncIterable<SessionSummary> {
      const limit = listLimit(listOptions);
      if (!canList) throw listingUnsupported(storeName);
      if (limit === 0) return;
      const summaries = await guarded("list", async () =>
        summariesOf(await callStore(store, "all", []), storeName, Date.now()),
      );
      yield* summaries.slice(0, limit);
    },

    async purgeExpired(): Promise<number> {
      return 0;
    },

    async close(): Promise<void> {
      // Nothing of the bridge's own to release; the store belongs to the application.
    },
  };
}

function checkStore(store: unknown): asserts store is ExpressSessionStoreLike {
  const missing = ["get", "set", "destroy"].filter(
    (method) => typeof (store as Record<string, unknown> | null)?.[method] !== "function",
  );
  if (store === null || typeof store !== "object" || missing.length > 0) {
    throw new ConfigError(
      `fromExpressSessionStore needs an express-session store, an object with get, set and destroy methods, such as new RedisStore({ client }) from connect-redis; got ${describeValue(store)}${missing.length > 0 && store !== null && typeof store === "object" ? `, which has no ${missing.join(", ")} method` : ""}.`,
    );
  }
}

/** The store's class name for messages ("RedisStore", "PGStore", "MemoryStore"). */
function nameOf(store: object): string {
  const name = (store.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && name !== "" && name !== "Object" ? name : "(unnamed)";
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object of class ${nameOf(value)}`;
  return `${typeof value} ${String(value)}`;
}
