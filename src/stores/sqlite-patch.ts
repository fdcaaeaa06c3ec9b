/**
 * Per-key patches as one SQL statement: `json_remove` and `json_set` on the stored document,
 * in a single UPDATE. SQLite runs a lone statement atomically, so a patch needs no explicit
 * transaction, no read of the row into JavaScript and no rewrite of the whole document: the
 * cost of a session write stays that of one UPDATE however large the session is.
 */
import type { StatementSync } from "node:sqlite";
import { SessionValueError } from "../errors.ts";
import type { SessionPatch } from "./contract.ts";

/**
 * Keys the JSON path can name exactly. SQLite reads `$."label"` with JSON string escapes, but
 * control characters, quotes, backslashes and lone surrogates have been seen to name a
 * different key; such keys (rare in sessions) take the transaction path instead.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: excluding control characters is the point.
const PATH_SAFE_KEY = /^[^\u0000-\u001f"\\\u007f]+$/u;

/** Statement shapes kept; each distinct (deletes, sets) count pair is prepared once. */
const MAX_SHAPES = 64;

/**
 * Most keys (set and deleted together) one statement carries. Each key is one or two function
 * arguments and bound variables, and SQLite limits both (json_set refuses more than 1000
 * arguments, 127 in SQLite before 3.48); larger patches, rare in sessions, take the
 * transaction path, which has no such limit.
 */
const MAX_KEYS = 32;

/** SQLite's primary result codes for "another connection holds the lock". */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

export class PatchStatements {
  readonly #prepare: (sql: string) => StatementSync;
  readonly #table: string;
  readonly #shapes = new Map<string, StatementSync>();

  constructor(prepare: (sql: string) => StatementSync, quotedTable: string) {
    this.#prepare = prepare;
    this.#table = quotedTable;
  }

  /** Whether this patch can run as one statement on an existing row. */
  canApply(patch: SessionPatch): boolean {
    if (patch.clear) return false;
    if (patch.delete.size + patch.set.size > MAX_KEYS) return false;
    for (const key of patch.delete) if (!isPathSafe(key)) return false;
    for (const key of patch.set.keys()) if (!isPathSafe(key)) return false;
    return true;
  }

  /**
   * Patches the live row `id` and moves its expiry; false when there is no live row whose data
   * is a JSON object (missing, expired, corrupt or nested deeper than SQLite's JSON functions
   * read), or when SQLite refuses the statement, for instance for a value nested deeper than
   * its JSON depth limit of 1000 ("malformed JSON"). The caller then takes the transaction
   * path, which handles all of these in JavaScript. A failed statement changes nothing.
   * A busy or locked database is not a refusal: that error is thrown, since the transaction
   * path would only wait for the same lock again.
   */
  apply(id: string, patch: SessionPatch, expiresAt: number, now: number): boolean {
    const parameters: Array<string | number> = [];
    for (const key of patch.delete) parameters.push(pathOf(key));
    for (const [key, value] of patch.set) {
      const json = JSON.stringify(value);
      if (json === undefined) {
        throw new SessionValueError(
          `session value for key ${JSON.stringify(key)} cannot be stored: session values must be JSON-compatible (strings, numbers, booleans, null, arrays and plain objects)`,
        );
      }
      parameters.push(pathOf(key), json);
    }
    parameters.push(expiresAt, id, now);
    try {
      const statement = this.#statement(patch.delete.size, patch.set.size);
      return Number(statement.run(...parameters).changes) === 1;
    } catch (error) {
      if (isRefusal(error)) return false;
      throw error;
    }
  }

  #statement(deletes: number, sets: number): StatementSync {
    const shape = `${deletes}:${sets}`;
    let statement = this.#shapes.get(shape);
    if (statement === undefined) {
      const removed = deletes === 0 ? "data" : `json_remove(data${", ?".repeat(deletes)})`;
      const updated = sets === 0 ? removed : `json_set(${removed}${", ?, json(?)".repeat(sets)})`;
      statement = this.#prepare(
        `UPDATE ${this.#table} SET data = ${updated}, expires_at = ?
         WHERE id = ? AND expires_at > ?
           AND CASE WHEN json_valid(data) THEN json_type(data) END = 'object'`,
      );
      // A bounded cache: an application with unusual patch shapes re-prepares, never grows.
      if (this.#shapes.size >= MAX_SHAPES) this.#shapes.clear();
      this.#shapes.set(shape, statement);
    }
    return statement;
  }
}

/** An error SQLite raised about this statement, as opposed to a lock held elsewhere. */
function isRefusal(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code !== "ERR_SQLITE_ERROR" || typeof errcode !== "number") return false;
  // Extended result codes keep the primary code in the low byte.
  const primary = errcode & 0xff;
  return primary !== SQLITE_BUSY && primary !== SQLITE_LOCKED;
}

function isPathSafe(key: string): boolean {
  return PATH_SAFE_KEY.test(key) && key.isWellFormed();
}

function pathOf(key: string): string {
  return `$.${JSON.stringify(key)}`;
}
