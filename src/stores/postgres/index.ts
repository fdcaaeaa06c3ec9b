/** `tessera/postgres`: sessions in a PostgreSQL table. */
export type { PgClientLike, PostgresClientLike, PostgresJsLike } from "./connection.ts";
export {
  type PostgresStore,
  type PostgresStoreOptions,
  postgresStore,
  postgresTableDdl,
} from "./store.ts";
