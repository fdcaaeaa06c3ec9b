/**
 * Table names for the PostgreSQL store: `table` or `schema.table`, each part an unquoted SQL
 * identifier, so that the name the user wrote is the name in `psql` and no quoting rule can
 * surprise them. Names are folded to lower case as PostgreSQL folds unquoted identifiers.
 */
import { ConfigError } from "../../errors.ts";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface TableName {
  /** The name as SQL, each part quoted: `"public"."tessera_sessions"`. */
  readonly sql: string;
  /** The name as written, folded to lower case: `public.tessera_sessions`, for messages. */
  readonly text: string;
  /**
   * The quoted name of an index on the table: `"tessera_sessions_<suffix>"` (an index lives in
   * its table's schema, so its name takes no schema).
   */
  index(suffix: string): string;
}

export function tableName(name: unknown, option: string): TableName {
  const parts = typeof name === "string" ? name.split(".") : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new ConfigError(
      `${option} ${JSON.stringify(name)} is not a table name: use a name such as "tessera_sessions", or one qualified by its schema such as "auth.tessera_sessions" (letters, digits and underscores, each part starting with a letter or underscore, at most 63 characters).`,
    );
  }
  const folded = parts.map((part) => part.toLowerCase());
  const quoted = folded.map((part) => `"${part}"`);
  const table = folded[folded.length - 1] as string;
  return {
    sql: quoted.join("."),
    text: folded.join("."),
    index: (suffix) => `"${`${table}_${suffix}`.slice(0, 63)}"`,
  };
}
