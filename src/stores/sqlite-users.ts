/**
 * The SQLite store's per-user index ("log out everywhere"): an index on the user named by the
 * session's `userKey`, read straight from the stored JSON. It is an expression index, not a
 * column the write path fills, so writes stay the statements they are and an existing table
 * gains the index without a migration; only stores given a userKey pay for it, on each write.
 *
 * The expression gives the user as text: a string as it is (empty counts as none), a number as
 * its digits (as JavaScript's String() writes it, for all but numbers beyond 2^53 or in
 * exponent form), anything else as none; so `revokeUser(42)` and `revokeUser("42")` are the
 * same user, as with the other stores. `json_valid` first: a corrupt row is nobody's, and must
 * never make a write fail. A record nested deeper than SQLite's JSON limit (1000 levels) is
 * not valid JSON to SQLite either, so it is in no user's index.
 */
import { createHash } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { ConfigError } from "../errors.ts";

export interface UserStatements {
  /** `(user, now)` → the live sessions of the user: id, created_at, expires_at. */
  readonly byUser: StatementSync;
  /** `(user, now)` → deletes them; `changes` counts them. */
  readonly revoke: StatementSync;
}

/** Session keys usable as the user key: no quote or backslash, which a JSON path would need escaped. */
const USER_KEY = /^[^"'\\]{1,100}$/;

export function validateUserKey(userKey: string): string {
  if (typeof userKey !== "string" || !USER_KEY.test(userKey)) {
    throw new ConfigError(
      `sqliteStore userKey must be the name of a session key (1 to 100 characters, no quotes or backslashes), such as "userId"; got ${JSON.stringify(userKey)}.`,
    );
  }
  return userKey;
}

/** The user of a row, as text, in SQL; the same text in the index and in every query. */
export function userExpression(userKey: string): string {
  const path = `'$."${userKey}"'`;
  return `(CASE WHEN json_valid(data) THEN CASE json_type(data, ${path})
    WHEN 'text' THEN nullif(json_extract(data, ${path}), '')
    WHEN 'integer' THEN CAST(json_extract(data, ${path}) AS TEXT)
    WHEN 'real' THEN CAST(json_extract(data, ${path}) AS TEXT) END END)`;
}

/** Creates the index when missing (another key, another expression: another index). */
export function prepareUserStatements(
  db: DatabaseSync,
  table: string,
  userKey: string,
): UserStatements {
  const user = userExpression(userKey);
  // Named after the expression, so the queries below always have the index they were written for.
  const suffix = createHash("sha256").update(user).digest("hex").slice(0, 12);
  db.exec(`CREATE INDEX IF NOT EXISTS "${table}_user_${suffix}" ON "${table}" (${user})`);
  return {
    byUser: db.prepare(
      `SELECT id, created_at, expires_at FROM "${table}" WHERE ${user} = ? AND expires_at > ? ORDER BY id`,
    ),
    revoke: db.prepare(`DELETE FROM "${table}" WHERE ${user} = ? AND expires_at > ?`),
  };
}
