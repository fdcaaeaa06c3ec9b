/**
 * The legacy store `tessera migrate --from` names, opened: connect-redis's keys or
 * connect-pg-simple's table, with a count of its records and its failures as one-line errors.
 */
import { ConfigError, TesseraError } from "../errors.ts";
import { type LegacyRecords, legacyRecords } from "../migrate/legacy-records.ts";
import { CliError, EXIT } from "./exit.ts";
import type { Values } from "./migrate-options.ts";
import { connectRedisClient, parseUrl, postgresPool } from "./open-store.ts";

export const FROM_USAGE =
  "use redis://HOST:PORT[/DB] (connect-redis) or postgres://USER@HOST/DB (connect-pg-simple)";

/** The legacy store, opened: its records, a count of them, and its connection to close. */
export interface OpenedLegacy {
  readonly records: LegacyRecords;
  /** What and where, for the summary: "connect-redis records sess:* on node-redis at redis://…". */
  readonly where: string;
  /** Where, for messages: "redis://127.0.0.1:6379". */
  readonly address: string;
  /** Checks the store answers and its records are there; fails with one line. */
  probe(): Promise<void>;
  count(): Promise<number>;
  close(): Promise<void>;
}

export async function openLegacy(values: Values): Promise<OpenedLegacy> {
  const url = values.from as string;
  const parsed = parseUrl(url, "--from", FROM_USAGE);
  const who = "tessera migrate --from";
  if (parsed.protocol === "redis:" || parsed.protocol === "rediss:") {
    if (values.table !== undefined || values.schema !== undefined) {
      throw new CliError(
        "--table and --schema name connect-pg-simple's table, for a postgres:// --from; connect-redis's records are found by --prefix.",
        EXIT.usage,
      );
    }
    const prefix = values.prefix ?? "sess:";
    const { client, where } = await connectRedisClient(url, parsed);
    const close = () => client.close().catch(() => client.destroy());
    try {
      const records = configured(() => legacyRecords({ redis: { client, prefix } }, who));
      const pattern = `${escapeGlob(prefix)}*`;
      return {
        records,
        where: `${records.description} at ${where}`,
        address: where,
        probe: async () => {},
        count: () =>
          legacyCall(where, async () => {
            // DBSIZE counts every key of the database; a first SCAN pass counts the prefix's.
            let cursor = "0";
            let count = 0;
            do {
              const reply = (await client.sendCommand([
                "SCAN",
                cursor,
                "MATCH",
                pattern,
                "COUNT",
                "1000",
              ])) as [unknown, unknown[]];
              cursor = String(reply[0]);
              count += reply[1].length;
            } while (cursor !== "0");
            return count;
          }),
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  }
  if (parsed.protocol === "postgres:" || parsed.protocol === "postgresql:") {
    if (values.prefix !== undefined) {
      throw new CliError(
        "--prefix is connect-redis's key prefix, for a redis:// --from; connect-pg-simple's records are found by --table and --schema.",
        EXIT.usage,
      );
    }
    const table = values.table ?? "session";
    const { pool, where } = await postgresPool(url, parsed);
    const close = () => pool.end().catch(() => {});
    try {
      const records = configured(() =>
        legacyRecords(
          {
            postgres: {
              client: pool,
              table,
              ...(values.schema === undefined ? {} : { schema: values.schema }),
            },
          },
          who,
        ),
      );
      // legacyRecords checked both names: plain identifiers, quoted as it quotes them.
      const qualified =
        values.schema === undefined ? `"${table}"` : `"${values.schema}"."${table}"`;
      const query = (text: string) =>
        legacyCall(where, () => pool.query(text), qualified, values.schema);
      return {
        records,
        where: `${records.description} at ${where}`,
        address: where,
        probe: async () => {
          await query(`SELECT 1 FROM ${qualified} LIMIT 0`);
        },
        count: async () =>
          Number(
            (await query(`SELECT count(*) AS n FROM ${qualified} WHERE expire > now()`)).rows[0]
              ?.n ?? 0,
          ),
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  }
  throw new CliError(
    `--from ${parsed.protocol}// is not a legacy store tessera migrate reads: ${FROM_USAGE}.`,
    EXIT.usage,
  );
}

/** legacyRecords' checks of its options, as usage errors. */
export function configured<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(error.message, EXIT.usage);
  }
}

/**
 * A call to the legacy store, its failure one line and "unreachable": the driver's errors
 * (refused, reset, a missing table) reach here raw, legacyRecords leaves them as they are.
 */
export async function legacyCall<T>(
  where: string,
  call: () => Promise<T>,
  table?: string,
  schema?: string,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CliError || error instanceof TesseraError) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "42P01" && table !== undefined) {
      throw new CliError(
        `no table ${table} at ${where}: name connect-pg-simple's table with --table (default "session")${schema === undefined ? " and its schema with --schema" : ""}.`,
        EXIT.unreachable,
      );
    }
    throw new CliError(`the legacy store ${where} failed: ${reasonOf(error)}.`, EXIT.unreachable);
  }
}

/** A driver error's message; pg's refused connection is an AggregateError with none. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== "") return error.message;
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  if (inner instanceof Error && inner.message !== "") return inner.message;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}

export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
