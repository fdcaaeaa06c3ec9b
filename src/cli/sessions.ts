/**
 * `tessera sessions …`: what is in a session store, read and changed through the same store
 * code an application uses (so every layout tessera writes, Flask-Session's included, reads
 * back decoded).
 */
import { parseArgs } from "node:util";
import { hasUserIndex } from "../stores/contract.ts";
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit.ts";
import { type OpenedStore, openStore } from "./open-store.ts";
import {
  isoTime,
  keyValueTable,
  Progress,
  printable,
  summaryHeader,
  summaryJson,
  summaryRow,
  writeLine,
} from "./output.ts";

export const SESSIONS_HELP = `usage: tessera sessions COMMAND --store URL [options]

commands:
  list                 every live session: id, created, expires (paged, never all in memory)
  show ID              one session's data, decoded (a signed cookie value is accepted too)
  revoke ID            end one session
  revoke-user USER     end every session of one user (stores with a user index: Redis, PostgreSQL,
                       SQLite with --user-key, which creates the index if the app has not)
  purge-expired        delete expired records now (SQLite, PostgreSQL; Redis expires its own)
  stats                how many live sessions, the oldest and newest, the next to expire

options:
  --store URL          sqlite:PATH | redis://[USER:PASSWORD@]HOST:PORT[/DB] | rediss://… |
                       postgres://USER[:PASSWORD]@HOST:PORT/DATABASE
  --prefix P           Redis key prefix (default "session:")
  --table T            SQLite or PostgreSQL table (default the store's)
  --layout L           "flask-session" for Flask-Session's records (Redis, PostgreSQL)
  --user-key K         the session key holding the user's id (default "username" on Redis and
                       PostgreSQL; on SQLite, give it to index sessions by user)
  --limit N            list: stop after N sessions
  --json               JSON (one object per line for list) instead of tables
  -h, --help           this help

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  store: { type: "string" },
  prefix: { type: "string" },
  table: { type: "string" },
  layout: { type: "string" },
  "user-key": { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>["values"];

interface Command {
  /** The positional arguments it takes after its name. */
  readonly arguments: readonly string[];
  run(opened: OpenedStore, positionals: readonly string[], values: Values): Promise<ExitCode>;
}

const COMMANDS: Record<string, Command> = {
  list: {
    arguments: [],
    async run({ store }, _positionals, values) {
      const limit =
        values.limit === undefined ? undefined : positiveInteger(values.limit, "--limit");
      if (!values.json) writeLine(summaryHeader());
      const progress = new Progress("listed");
      for await (const session of store.list(limit === undefined ? {} : { limit })) {
        await writeLine(values.json ? summaryJson(session) : summaryRow(session));
        progress.tick();
      }
      progress.done();
      return EXIT.ok;
    },
  },
  show: {
    arguments: ["ID"],
    async run({ store, where }, [given], values) {
      const id = idOf(given as string);
      const stored = await store.get(id);
      if (stored === undefined)
        throw new CliError(`no live session ${id} in ${where}.`, EXIT.notFound);
      const shown = {
        id,
        createdAt: isoTime(stored.createdAt),
        expiresAt: isoTime(stored.expiresAt),
        data: stored.data,
      };
      if (values.json) writeLine(JSON.stringify(shown, printable));
      else {
        writeLine(
          keyValueTable([
            ["id", id],
            ["created", shown.createdAt],
            ["expires", shown.expiresAt],
          ]),
        );
        writeLine(JSON.stringify(stored.data, printable, 2));
      }
      return EXIT.ok;
    },
  },
  revoke: {
    arguments: ["ID"],
    async run({ store, where }, [given], values) {
      const id = idOf(given as string);
      if ((await store.get(id)) === undefined) {
        throw new CliError(`no live session ${id} in ${where}.`, EXIT.notFound);
      }
      await store.destroy(id);
      writeLine(values.json ? JSON.stringify({ revoked: id }) : `revoked ${id}`);
      return EXIT.ok;
    },
  },
  "revoke-user": {
    arguments: ["USER"],
    async run({ store, where }, [user], values) {
      if (!hasUserIndex(store)) {
        throw new CliError(
          `${where} keeps no per-user index (a ${store.kind} store)${store.kind === "sqlite" ? "; give --user-key KEY (the session key holding the user's id) to index it" : ", so a user's sessions cannot be found; revoke them one by one"}.`,
          EXIT.usage,
        );
      }
      const ended = await store.revokeUser(user as string);
      writeLine(
        values.json
          ? JSON.stringify({ user, revoked: ended })
          : `revoked ${ended} ${ended === 1 ? "session" : "sessions"} of ${user}`,
      );
      return ended === 0 ? EXIT.notFound : EXIT.ok;
    },
  },
  "purge-expired": {
    arguments: [],
    async run({ store }, _positionals, values) {
      const deleted = await store.purgeExpired();
      writeLine(
        values.json
          ? JSON.stringify({ deleted })
          : `deleted ${deleted} expired ${deleted === 1 ? "record" : "records"}`,
      );
      return EXIT.ok;
    },
  },
  stats: {
    arguments: [],
    async run({ store, where }, _positionals, values) {
      let count = 0;
      let oldest = Number.POSITIVE_INFINITY;
      let newest = Number.NEGATIVE_INFINITY;
      let nextExpiry = Number.POSITIVE_INFINITY;
      const progress = new Progress("counted");
      for await (const session of store.list()) {
        count += 1;
        oldest = Math.min(oldest, session.createdAt);
        newest = Math.max(newest, session.createdAt);
        nextExpiry = Math.min(nextExpiry, session.expiresAt);
        progress.tick();
      }
      progress.done();
      const stats = {
        store: where,
        live: count,
        ...(count === 0
          ? {}
          : {
              oldestCreated: isoTime(oldest),
              newestCreated: isoTime(newest),
              nextExpiry: isoTime(nextExpiry),
            }),
      };
      if (values.json) writeLine(JSON.stringify(stats));
      else
        writeLine(keyValueTable(Object.entries(stats).map(([key, value]) => [key, String(value)])));
      return EXIT.ok;
    },
  },
};

export async function runSessions(args: readonly string[]): Promise<ExitCode> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${SESSIONS_HELP}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined) {
    process.stdout.write(SESSIONS_HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    throw new CliError(
      `unknown sessions command ${JSON.stringify(name)}\n${SESSIONS_HELP}`,
      EXIT.usage,
    );
  }
  if (rest.length !== command.arguments.length) {
    const expected = [name, ...command.arguments].join(" ");
    throw new CliError(
      `usage: tessera sessions ${expected} --store URL (see tessera sessions --help)`,
      EXIT.usage,
    );
  }
  if (values.store === undefined) {
    throw new CliError(
      `tessera sessions ${name} needs --store URL (sqlite:PATH, redis://…, postgres://…).`,
      EXIT.usage,
    );
  }
  const opened = await openStore(values.store, {
    prefix: values.prefix,
    table: values.table,
    layout: values.layout,
    userKey: values["user-key"],
  });
  try {
    return await command.run(opened, rest, values);
  } finally {
    await opened.close();
  }
}

/** A session id, from the id itself or from a signed cookie value (`id.signature`). */
function idOf(given: string): string {
  const value = given.replace(/^session=/, "");
  const dot = value.indexOf(".");
  return dot === -1 ? value : value.slice(0, dot);
}

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new CliError(
      `${option} must be a positive whole number; got ${JSON.stringify(text)}.`,
      EXIT.usage,
    );
  }
  return value;
}
