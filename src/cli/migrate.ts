/**
 * `tessera migrate`: every session express-session or @fastify/session kept in Redis
 * (connect-redis) or PostgreSQL (connect-pg-simple), copied into a tessera store ahead of the
 * switch, each under the id `migrateFrom` derives from its legacy id (movedSessionId) and as the
 * engine itself writes a moved session (SessionState.moveIn, then a create), so a request that
 * moves the same session at the same time, or a second run, arrives at the same record.
 *
 * Legacy records are only read, unless `--delete-legacy`: the old app may still be serving, and
 * at the switch the engine prefers a live legacy record over the copy.
 */
import { parseArgs } from "node:util";
import { MAX_NESTING, tooDeepMessage, valueNestsDeeperThan } from "../codecs/nesting.ts";
import { Keyring } from "../crypto/keyring.ts";
import { movedSessionId } from "../engine/legacy-sessions.ts";
import { ConfigError, SessionValueError, StoreUnavailableError, TesseraError } from "../errors.ts";
import { type LegacyRecords, legacyRecords } from "../migrate/legacy-records.ts";
import { sessionOfRecord } from "../migrate/signed-id-source.ts";
import type { LegacySession } from "../migrate/source.ts";
import { LEGACY_END_KEY } from "../session/session.ts";
import type { SessionStore } from "../stores/contract.ts";
import { toMilliseconds } from "../util/duration.ts";
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit.ts";
import {
  connectRedisClient,
  type OpenedStore,
  openStore,
  parseUrl,
  postgresPool,
} from "./open-store.ts";
import { CountProgress, keyValueTable, writeLine } from "./output.ts";

export const MIGRATE_HELP = `usage: tessera migrate --from URL --to URL [options]

Copies every session express-session or @fastify/session kept in Redis (connect-redis) or
PostgreSQL (connect-pg-simple) into a tessera store, ahead of the switch to tessera with
migrateFrom. Each goes under the id migrateFrom derives from its legacy id with the app's secret,
as a request moving it would write it: its data (without express-session's "cookie"), ending when
it would have ended before, and no later than --lifetime from now. Expired records, and records
that are not a session object, are skipped; records that are not JSON are counted as malformed.

It never changes or deletes a legacy record (unless --delete-legacy), so it is safe while the old
app is still serving. A session the old app changes after it was copied is not lost: at the
switch, tessera reads a legacy record that still exists in preference to its copy. Running it
again copies again, to the same ids, with the same result: after the switch, while legacy records
remain (keepLegacy), a second run puts their legacy data back over the moved sessions.

options:
  --from URL        the legacy sessions: redis://[USER:PASSWORD@]HOST:PORT[/DB] | rediss://…
                    (connect-redis) or postgres://USER[:PASSWORD]@HOST:PORT/DATABASE
                    (connect-pg-simple)
  --source S        the library that wrote them: express-session (default) or fastify-session
  --prefix P        Redis: connect-redis's key prefix (default "sess:")
  --table T         PostgreSQL: connect-pg-simple's table (default "session")
  --schema S        PostgreSQL: connect-pg-simple's schema (default the search path's)
  --to URL          the tessera store, as for tessera sessions --store: sqlite:PATH |
                    redis://… | rediss://… | postgres://… (its table must exist)
  --to-prefix P     the tessera store's Redis key prefix (default "session:")
  --to-table T      the tessera store's SQLite or PostgreSQL table (default the store's)
  --user-key K      the session key the tessera store indexes users by (its userKey; default
                    "username" on Redis and PostgreSQL)
  --secret S        the tessera app's secret, its SECRET_KEY (repeat for several, newest first;
                    the ids derive from the newest); default the SECRET_KEY environment variable.
                    Required: with another secret the app would not find the moved sessions
  --lifetime D      the tessera app's lifetime (default 31d): no moved session outlives it
  --dry-run         read and count everything, write nothing
  --delete-legacy   delete each legacy record once its copy is written. Only once the old app is
                    stopped: a change it makes to a session after the copy would be lost
  --json            the summary as one JSON object, and no progress on stderr
  -h, --help        this help

The summary (stdout) counts the sessions moved, skipped and malformed. Progress goes to stderr:
a bar on a terminal, a line at each tenth of the way otherwise.

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  from: { type: "string" },
  source: { type: "string" },
  prefix: { type: "string" },
  table: { type: "string" },
  schema: { type: "string" },
  to: { type: "string" },
  "to-prefix": { type: "string" },
  "to-table": { type: "string" },
  "user-key": { type: "string" },
  secret: { type: "string", multiple: true },
  lifetime: { type: "string" },
  "dry-run": { type: "boolean", default: false },
  "delete-legacy": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>["values"];

/** `--source` to the source name the engine derives ids with (LegacySource.name). */
const SOURCES: Readonly<Record<string, string>> = {
  "express-session": "express-session",
  "fastify-session": "@fastify/session",
  "@fastify/session": "@fastify/session",
};

const FROM_USAGE =
  "use redis://HOST:PORT[/DB] (connect-redis) or postgres://USER@HOST/DB (connect-pg-simple)";

/** Writes in flight at once: enough to overlap round trips, few enough for a small pool. */
const CONCURRENCY = 16;

export interface MigrateSummary {
  from: string;
  to: string;
  source: string;
  dryRun: boolean;
  moved: number;
  skipped: number;
  malformed: number;
  deleted: number;
}

/** The legacy store, opened: its records, a count of them, and its connection to close. */
interface OpenedLegacy {
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

export async function runMigrate(args: readonly string[]): Promise<ExitCode> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${MIGRATE_HELP}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) {
    throw new CliError(
      `tessera migrate takes no arguments, only options; got ${JSON.stringify(positionals[0])} (see tessera migrate --help).`,
      EXIT.usage,
    );
  }
  const settings = settingsOf(values);
  const legacy = await openLegacy(values);
  let target: OpenedStore | undefined;
  try {
    await legacy.probe();
    target = await openStore(
      settings.to,
      { prefix: values["to-prefix"], table: values["to-table"], userKey: values["user-key"] },
      "--to",
    );
    await probeTarget(target);
    const summary = await migrate(legacy, target, settings, values.json);
    if (values.json) await writeLine(JSON.stringify(summary));
    else await writeLine(summaryTable(summary));
    return EXIT.ok;
  } finally {
    await target?.close();
    await legacy.close();
  }
}

/** A tessera store that is down, or a table that is missing, fails here, before any work. */
async function probeTarget(target: OpenedStore): Promise<void> {
  try {
    await target.store.get("tessera-migrate-probe");
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
    if (!(error instanceof StoreUnavailableError) || cause?.code !== "42P01") throw error;
    throw new CliError(
      `no tessera table at ${target.where} (${cause instanceof Error ? cause.message : "missing"}): start the tessera app once with createTable on (the default), or create it with the statements from postgresTableDdl(); --to-table names it.`,
      EXIT.unreachable,
    );
  }
}

interface Settings {
  readonly to: string;
  readonly sourceName: string;
  readonly keyring: Keyring;
  readonly lifetimeMs: number;
  readonly dryRun: boolean;
  readonly deleteLegacy: boolean;
}

/** The options, checked before any connection is made. */
function settingsOf(values: Values): Settings {
  if (values.from === undefined || values.to === undefined) {
    throw new CliError(
      `tessera migrate needs --from URL (the legacy sessions: redis://… or postgres://…) and --to URL (the tessera store); see tessera migrate --help.`,
      EXIT.usage,
    );
  }
  refuseOverlap(
    values.from,
    values.to,
    values.prefix ?? "sess:",
    values["to-prefix"] ?? "session:",
  );
  const sourceName = SOURCES[values.source ?? "express-session"];
  if (sourceName === undefined) {
    throw new CliError(
      `--source must be express-session or fastify-session; got ${JSON.stringify(values.source)}.`,
      EXIT.usage,
    );
  }
  const secrets =
    values.secret ?? (process.env.SECRET_KEY ? [process.env.SECRET_KEY] : ([] as string[]));
  if (secrets.length === 0) {
    throw new CliError(
      "tessera migrate needs the tessera app's secret: --secret S, or SECRET_KEY in the environment (the moved sessions' ids derive from it, so it must be the app's).",
      EXIT.usage,
    );
  }
  let keyring: Keyring;
  try {
    keyring = new Keyring(secrets);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(`--secret: ${error.message}`, EXIT.usage);
  }
  let lifetimeMs: number;
  try {
    lifetimeMs = toMilliseconds(values.lifetime ?? "31d", "--lifetime");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(error.message, EXIT.usage);
  }
  if (lifetimeMs < 1_000) {
    throw new CliError(
      `--lifetime must be at least one second, as the app's lifetime; got ${JSON.stringify(values.lifetime)}.`,
      EXIT.usage,
    );
  }
  return {
    to: values.to,
    sourceName,
    keyring,
    lifetimeMs,
    dryRun: values["dry-run"],
    deleteLegacy: values["delete-legacy"],
  };
}

/**
 * Legacy and tessera keys on one Redis under prefixes that overlap: the walk would meet the
 * records it writes. Refused before anything is read.
 */
function refuseOverlap(from: string, to: string, prefix: string, toPrefix: string): void {
  const redisDatabase = (url: string) => {
    if (!/^rediss?:/.test(url)) return undefined;
    try {
      const parsed = new URL(url);
      return `${parsed.hostname}:${parsed.port || "6379"}/${parsed.pathname.slice(1) || "0"}`;
    } catch {
      return undefined;
    }
  };
  const database = redisDatabase(from);
  if (database === undefined || database !== redisDatabase(to)) return;
  if (prefix.startsWith(toPrefix) || toPrefix.startsWith(prefix)) {
    throw new CliError(
      `--prefix ${JSON.stringify(prefix)} and --to-prefix ${JSON.stringify(toPrefix)} overlap on the same Redis database: the legacy records and tessera's must be under prefixes neither of which begins the other.`,
      EXIT.usage,
    );
  }
}

async function openLegacy(values: Values): Promise<OpenedLegacy> {
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

/** Walks the legacy records into the tessera store; the counts. */
async function migrate(
  legacy: OpenedLegacy,
  target: OpenedStore,
  settings: Settings,
  quiet: boolean,
): Promise<MigrateSummary> {
  const summary: MigrateSummary = {
    from: legacy.where,
    to: target.where,
    source: settings.sourceName,
    dryRun: settings.dryRun,
    moved: 0,
    skipped: 0,
    malformed: 0,
    deleted: 0,
  };
  const progress = new CountProgress(
    `tessera migrate${settings.dryRun ? " (dry run)" : ""}:`,
    quiet ? 0 : await legacy.count(),
    ...(quiet ? (["off"] as const) : []),
  );
  const pending = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const copy = async (id: string, session: LegacySession): Promise<void> => {
    const written = await write(target.store, id, session, settings);
    if (!written) summary.malformed += 1;
    else {
      summary.moved += 1;
      if (settings.deleteLegacy) {
        await legacyCall(legacy.address, () => legacy.records.remove(id));
        summary.deleted += 1;
      }
    }
    progress.tick();
  };
  const iterator = legacy.records.entries()[Symbol.asyncIterator]();
  try {
    while (failure === undefined) {
      const next = await legacyCall(legacy.address, () => iterator.next());
      if (next.done) break;
      const entry = next.value;
      const session = sessionOfRecord(entry, Date.now());
      if (session === undefined) {
        // A record that is not JSON reads as `undefined`; JSON that is no live session is skipped.
        if (entry.record === undefined) summary.malformed += 1;
        else summary.skipped += 1;
        progress.tick();
        continue;
      }
      if (settings.dryRun) {
        if (tooDeep(session) === undefined) summary.moved += 1;
        else summary.malformed += 1;
        progress.tick();
        continue;
      }
      const task: Promise<void> = copy(entry.id, session).then(
        () => {
          pending.delete(task);
        },
        (error: unknown) => {
          pending.delete(task);
          failure ??= { error };
        },
      );
      pending.add(task);
      if (pending.size >= CONCURRENCY) await Promise.race(pending);
    }
  } finally {
    // The writes under way finish (or fail) before the stores are closed.
    await Promise.all(pending);
    progress.done();
  }
  if (failure !== undefined) {
    await iterator.return?.(undefined);
    throw failure.error;
  }
  return summary;
}

/**
 * The moved session's record, written as the engine writes one (SessionState.moveIn, then
 * StoreSessions' create): its data replacing whatever is under the derived id, the legacy end
 * kept in LEGACY_END_KEY, ending at the earlier of that end and the lifetime. False when
 * tessera cannot store the session (the reason on stderr).
 */
async function write(
  store: SessionStore,
  legacyId: string,
  session: LegacySession,
  settings: Settings,
): Promise<boolean> {
  const problem = tooDeep(session);
  if (problem !== undefined) {
    process.stderr.write(`tessera migrate: legacy session ${legacyId} not moved: ${problem}\n`);
    return false;
  }
  const now = Date.now();
  const set = new Map<string, unknown>(Object.entries(session.data));
  if (session.expiresAt !== undefined) set.set(LEGACY_END_KEY, session.expiresAt);
  const expiresAt = Math.min(
    now + settings.lifetimeMs,
    session.expiresAt ?? Number.POSITIVE_INFINITY,
  );
  const id = movedSessionId(settings.keyring, settings.sourceName, legacyId);
  try {
    await store.apply(
      id,
      { clear: true, set, delete: new Set() },
      { createdAt: now, expiresAt, mustExist: false },
    );
    return true;
  } catch (error) {
    // A value the store refuses (PostgreSQL's jsonb and "\u0000"): this session, not the run.
    if (!(error instanceof SessionValueError)) throw error;
    process.stderr.write(
      `tessera migrate: legacy session ${legacyId} not moved: ${error.message}\n`,
    );
    return false;
  }
}

/** Why the session cannot be stored, as the engine would refuse it (storable), or undefined. */
function tooDeep(session: LegacySession): string | undefined {
  for (const [key, value] of Object.entries(session.data)) {
    if (valueNestsDeeperThan(value, MAX_NESTING - 1)) {
      return tooDeepMessage(`The session value for key ${JSON.stringify(key)}`);
    }
  }
  return undefined;
}

function summaryTable(summary: MigrateSummary): string {
  const rows: [string, string][] = [
    ["from", summary.from],
    ["to", summary.to],
    ["source", summary.source],
    ["moved", String(summary.moved)],
    ["skipped", String(summary.skipped)],
    ["malformed", String(summary.malformed)],
  ];
  if (summary.deleted > 0) rows.push(["deleted", String(summary.deleted)]);
  if (summary.dryRun) rows.push(["dry run", "nothing was written; moved counts what would be"]);
  return keyValueTable(rows);
}

/** legacyRecords' checks of its options, as usage errors. */
function configured<T>(make: () => T): T {
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
async function legacyCall<T>(
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
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== "") return error.message;
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  if (inner instanceof Error && inner.message !== "") return inner.message;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
