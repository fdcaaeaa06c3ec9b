/**
 * Listing sessions through an express-session store's optional `all()`, the only way its API
 * has to enumerate them. Stores answer in one of two shapes: an object from id to record
 * (express-session's MemoryStore), or an array of records, each carrying its `id`
 * (connect-redis).
 */
import { TesseraError } from "../../errors.ts";
import type { SessionSummary } from "../contract.ts";
import { storedSessionOf } from "./record.ts";

/** Why `list` cannot work on a store without `all()`, and what to do instead. */
export function listingUnsupported(storeName: string): TesseraError {
  return new TesseraError(
    "TESSERA_UNSUPPORTED",
    `The express-session store ${storeName} has no all() method, so its sessions cannot be listed through fromExpressSessionStore (capabilities.listing is false). Use a store whose all() returns every session (connect-redis, express-session's MemoryStore), or one of tessera's own stores (tessera/redis, tessera/sqlite), which list sessions natively.`,
  );
}

/** The live sessions in `all()`'s answer; records that are expired or not the bridge's are left out. */
export function summariesOf(answer: unknown, storeName: string, now: number): SessionSummary[] {
  const summaries: SessionSummary[] = [];
  for (const [id, record] of recordsById(answer, storeName)) {
    const session = storedSessionOf(record, now);
    if (session !== undefined) {
      summaries.push({ id, createdAt: session.createdAt, expiresAt: session.expiresAt });
    }
  }
  return summaries;
}

function recordsById(answer: unknown, storeName: string): [string, unknown][] {
  if (answer === null || answer === undefined) return [];
  if (Array.isArray(answer)) {
    return answer.map((record: unknown) => {
      const id = (record as { id?: unknown } | null)?.id;
      if (typeof id !== "string") {
        throw new TesseraError(
          "TESSERA_UNSUPPORTED",
          `The express-session store ${storeName} answered all() with a list whose records do not carry their id (found ${JSON.stringify(id) ?? "undefined"}), so the sessions cannot be named; list them with the store's own tools, or use a store whose all() answers { id: record } or records with an id.`,
        );
      }
      return [id, record];
    });
  }
  if (typeof answer === "object") return Object.entries(answer);
  throw new TesseraError(
    "TESSERA_UNSUPPORTED",
    `The express-session store ${storeName} answered all() with ${typeof answer} ${String(answer)}, neither a list of records nor an object from id to record; its sessions cannot be listed through the bridge.`,
  );
}
