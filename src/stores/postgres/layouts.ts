/**
 * The table layouts the PostgreSQL store offers, and the options that belong to each: tessera's
 * own jsonb table (the default) and Flask-Session's SQL table, shared with a Flask app.
 */
import { ConfigError } from "../../errors.ts";
import type { FlaskSerializer } from "../flask-session/record.ts";
import type { PostgresConnection } from "./connection.ts";
import { flaskSessionTable, MAX_FLASK_PREFIX_LENGTH } from "./flask-session-table.ts";
import type { PostgresLayout } from "./layout.ts";
import type { TableName } from "./table-name.ts";
import { tesseraTable } from "./tessera-table.ts";

export type PostgresLayoutName = "tessera" | "flask-session";

export interface PostgresLayoutOptions {
  /**
   * How sessions are kept. `"tessera"` (the default): one row per session, its data as jsonb,
   * each change applied by PostgreSQL in one statement. `"flask-session"`: Flask-Session's own
   * table (`SESSION_TYPE = "sqlalchemy"`, table "sessions" by default): session_id holds
   * `prefix + id`, data the whole session dict as MessagePack (or JSON) bytes, expiry a UTC
   * timestamp, so a Flask app with Flask-Session on the same database shares sessions with this
   * app (use `createSessions({ format: "flask-session", store })`). Changes stay per-key: each
   * is a read and a compare-and-swap. `createdAt` is not kept (Flask-Session has none), and
   * there is no user index.
   */
  readonly layout?: PostgresLayoutName;
  /**
   * `layout: "flask-session"` only: Flask-Session's `SESSION_KEY_PREFIX`, which session_id
   * starts with. Default "session:".
   */
  readonly prefix?: string;
  /**
   * `layout: "flask-session"` only: how new records are written, as Flask-Session's
   * `SESSION_SERIALIZATION_FORMAT`: `"msgpack"` (the default, as Flask-Session's) or `"json"`.
   * Records in either are read, and a record keeps the serialization it has.
   */
  readonly serializer?: FlaskSerializer;
}

export interface ChosenLayout {
  readonly name: PostgresLayoutName;
  /** The table when none is given: tessera's, or Flask-Session's SESSION_SQLALCHEMY_TABLE. */
  readonly defaultTable: string;
  make(connection: PostgresConnection, table: TableName): PostgresLayout;
}

/** The layout asked for, after checking that the options given fit it. */
export function chooseLayout(
  options: PostgresLayoutOptions & { readonly userKey?: string | undefined },
  caller: string,
): ChosenLayout {
  const name = options.layout ?? "tessera";
  if (name === "tessera") {
    for (const option of ["prefix", "serializer"] as const) {
      if (options[option] !== undefined) {
        throw new ConfigError(
          `${caller} ${option} is an option of layout "flask-session" (Flask-Session's table); the default layout keeps tessera's own table. Add layout: "flask-session", or leave ${option} out.`,
        );
      }
    }
    return {
      name,
      defaultTable: "tessera_sessions",
      make: (connection, table) => tesseraTable(connection, table, options.userKey),
    };
  }
  if (name !== "flask-session") {
    throw new ConfigError(
      `${caller} layout must be "tessera" (the default) or "flask-session"; got ${JSON.stringify(name)}.`,
    );
  }
  if (options.userKey !== undefined) {
    throw new ConfigError(
      `${caller} userKey cannot be used with layout "flask-session": Flask-Session's table has no column for the user, so listByUser and revokeUser could not find a user's sessions. Leave userKey out, or keep Flask-Session's sessions in Redis (redisStore's layout "flask-session" keeps a user index beside them).`,
    );
  }
  const prefix = options.prefix ?? "session:";
  if (typeof prefix !== "string" || prefix.length > MAX_FLASK_PREFIX_LENGTH) {
    throw new ConfigError(
      `${caller} prefix must be a string of at most ${MAX_FLASK_PREFIX_LENGTH} characters (session_id is VARCHAR(255) and holds the prefix and a 43-character id), as Flask-Session's SESSION_KEY_PREFIX; got ${JSON.stringify(prefix)?.slice(0, 80) ?? String(prefix)}.`,
    );
  }
  const serializer = options.serializer ?? "msgpack";
  if (serializer !== "msgpack" && serializer !== "json") {
    throw new ConfigError(
      `${caller} serializer must be "msgpack" (the default, as Flask-Session's SESSION_SERIALIZATION_FORMAT) or "json"; got ${JSON.stringify(serializer)}.`,
    );
  }
  return {
    name,
    defaultTable: "sessions",
    make: (connection, table) => flaskSessionTable(connection, table, { prefix, serializer }),
  };
}
