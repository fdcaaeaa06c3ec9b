/** `tessera/postgres`: sessions in a PostgreSQL table. */
export type { FlaskSerializer } from "../flask-session/record.ts";
export type { PgClientLike, PostgresClientLike, PostgresJsLike } from "./connection.ts";
export type { PostgresLayoutName } from "./layouts.ts";
export {
  type PostgresStore,
  type PostgresStoreOptions,
  postgresStore,
  postgresTableDdl,
} from "./store.ts";
