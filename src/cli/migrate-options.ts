/** `tessera migrate`'s help and options, checked before any connection is made (migrate.ts). */
import type { parseArgs } from "node:util";
import { Keyring } from "../crypto/keyring.ts";
import { ConfigError } from "../errors.ts";
import { toMilliseconds } from "../util/duration.ts";
import { CliError, EXIT, EXIT_CODES_HELP } from "./exit.ts";

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

export const OPTIONS = {
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

export type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>["values"];

/** `--source` to the source name the engine derives ids with (LegacySource.name). */
export const SOURCES: Readonly<Record<string, string>> = {
  "express-session": "express-session",
  "fastify-session": "@fastify/session",
  "@fastify/session": "@fastify/session",
};

export interface Settings {
  readonly to: string;
  readonly sourceName: string;
  readonly keyring: Keyring;
  readonly lifetimeMs: number;
  readonly dryRun: boolean;
  readonly deleteLegacy: boolean;
}

/** The options, checked before any connection is made. */
export function settingsOf(values: Values): Settings {
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
export function refuseOverlap(from: string, to: string, prefix: string, toPrefix: string): void {
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
