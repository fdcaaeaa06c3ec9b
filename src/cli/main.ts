#!/usr/bin/env node
/**
 * The `tessera` command: `secret`, `decode`, `sessions …` and `migrate`. Every failure is one line on
 * stderr and a documented exit code (exit.ts); `--help` works on each command.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { describeCookie } from "../codecs/describe.ts";
import { generateSecret } from "../crypto/secret.ts";
import { ConfigError, StoreUnavailableError } from "../errors.ts";
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit.ts";
import { MIGRATE_HELP, runMigrate } from "./migrate.ts";
import { printable } from "./output.ts";
import { runSessions, SESSIONS_HELP } from "./sessions.ts";

interface Command {
  readonly summary: string;
  readonly help: string;
  run(args: readonly string[]): ExitCode | Promise<ExitCode>;
}

const SECRET_HELP = `usage: tessera secret

Prints a new random secret (32 bytes, base64url) for SECRET_KEY.

${EXIT_CODES_HELP}
`;

const DECODE_HELP = `usage: tessera decode COOKIE [--secret S]... [--max-age SECONDS] [--json]

Shows what a session cookie holds: its format (tessera's signed id, Flask-Session's id, Flask's
cookie, a sealed cookie), what can be read without the secret, and, given the secrets (newest
first: the app's SECRET_KEY, then older ones), whether it verifies and with which.

${EXIT_CODES_HELP}
`;

const COMMANDS: Record<string, Command> = {
  secret: {
    summary: "print a new random secret (32 bytes, base64url) for SECRET_KEY",
    help: SECRET_HELP,
    run(args) {
      const { values } = parse(args, { help: { type: "boolean", short: "h" } }, SECRET_HELP, 0);
      if (values.help) return help(SECRET_HELP);
      process.stdout.write(`${generateSecret()}\n`);
      return EXIT.ok;
    },
  },
  decode: {
    summary: "show what a session cookie holds, and whether it verifies",
    help: DECODE_HELP,
    run(args) {
      const { values, positionals } = parse(
        args,
        {
          secret: { type: "string", multiple: true },
          "max-age": { type: "string" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
        DECODE_HELP,
        1,
      );
      if (values.help) return help(DECODE_HELP);
      const maxAge = values["max-age"];
      const maxAgeSeconds = maxAge === undefined ? undefined : Number(maxAge);
      if (maxAgeSeconds !== undefined && !(maxAgeSeconds >= 0)) {
        throw new CliError(
          `--max-age must be a number of seconds; got ${JSON.stringify(maxAge)}.`,
          EXIT.usage,
        );
      }
      const secrets = values.secret ?? [];
      const description = describeCookie((positionals[0] as string).replace(/^session=/, ""), {
        ...(secrets.length > 0 ? { secrets } : {}),
        ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
      });
      process.stdout.write(`${JSON.stringify(description, printable, 2)}\n`);
      return description.format === "unknown" || description.verified === false
        ? EXIT.notFound
        : EXIT.ok;
    },
  },
  sessions: {
    summary: "list, show, revoke and count the sessions in a store (--store URL)",
    help: SESSIONS_HELP,
    run: runSessions,
  },
  migrate: {
    summary: "copy express-session's or @fastify/session's sessions into a tessera store",
    help: MIGRATE_HELP,
    run: runMigrate,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, { summary }]) => `  tessera ${name.padEnd(10)} ${summary}`,
  );
  return `usage: tessera COMMAND [options]   (tessera COMMAND --help for each)\n${lines.join("\n")}\n\n${EXIT_CODES_HELP}\n`;
}

function help(text: string): ExitCode {
  process.stdout.write(text);
  return EXIT.ok;
}

/** parseArgs, with its errors as usage errors; `positionals` is how many the command takes. */
function parse<const O extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: O,
  helpText: string,
  positionals: number,
) {
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${helpText}`, EXIT.usage);
  }
  const wantsHelp = (parsed.values as { help?: boolean }).help === true;
  if (!wantsHelp && parsed.positionals.length !== positionals) {
    throw new CliError(helpText.trimEnd(), EXIT.usage);
  }
  return parsed;
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    throw new CliError(`unknown command ${JSON.stringify(name)}\n${usage()}`, EXIT.usage);
  }
  return command.run(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const [message, code] =
    error instanceof CliError
      ? [error.message, error.exitCode]
      : error instanceof ConfigError
        ? [error.message, EXIT.usage]
        : error instanceof StoreUnavailableError
          ? [error.message, EXIT.unreachable]
          : [undefined, undefined];
  if (message === undefined) throw error;
  process.stderr.write(`tessera: ${message}\n`);
  process.exitCode = code;
}
