/**
 * A table layout: the SQL for one way of keeping sessions in a PostgreSQL table. tessera's own
 * table (tessera-table.ts) and Flask-Session's (flask-session-table.ts) implement it; the store
 * (store.ts) adds what every layout shares: table creation, deadlines, errors, listing in pages
 * and the expiry sweep.
 *
 * `now` is the application's clock (ms since the epoch), passed into every statement rather
 * than read from the server's, as the contract's times are the engine's.
 */
import type {
  ApplyOptions,
  RenameOptions,
  SessionPatch,
  SessionSummary,
  StoreCapabilities,
  StoredSession,
} from "../contract.ts";

export interface PostgresLayout {
  readonly capabilities: StoreCapabilities;
  /** Creates the table and its indexes when missing: statements without parameters, in order. */
  readonly ddl: readonly string[];
  get(id: string, now: number): Promise<StoredSession | undefined>;
  apply(id: string, patch: SessionPatch, options: ApplyOptions, now: number): Promise<boolean>;
  touch(id: string, expiresAt: number, now: number): Promise<void>;
  destroy(id: string): Promise<void>;
  rename(fromId: string, toId: string, options: RenameOptions, now: number): Promise<boolean>;
  /** Up to `limit` live sessions with ids after `afterId` (all when undefined), in id order. */
  listPage(afterId: string | undefined, limit: number, now: number): Promise<SessionSummary[]>;
  /**
   * Deletes up to `limit` expired records, skipping rows another process has locked, so that
   * sweeps in several processes never wait for each other; resolves to how many it deleted.
   */
  purgeBatch(limit: number, now: number): Promise<number>;
  /** The live sessions of one user (layouts with a user index). */
  listByUser?(userId: string, now: number): Promise<SessionSummary[]>;
  /** Deletes the live sessions of one user; resolves to how many (layouts with a user index). */
  revokeUser?(userId: string, now: number): Promise<number>;
}

/** A JavaScript time (ms) as SQL: the parameter `$n` as a timestamptz. */
export function timestampParameter(n: number): string {
  return `to_timestamp($${n}::float8 / 1000)`;
}

/** A timestamptz column as JavaScript time (ms), exact to the millisecond. */
export function millisecondsOf(column: string): string {
  return `(extract(epoch from ${column}) * 1000)::float8`;
}

/**
 * Strings as a PostgreSQL array literal (`{"a","b"}`), passed as one text parameter: both
 * drivers send text the same way, where arrays would each be serialised their own way.
 */
export function textArrayLiteral(values: Iterable<string>): string {
  const items: string[] = [];
  for (const value of values)
    items.push(`"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
  return `{${items.join(",")}}`;
}
