#!/usr/bin/env node
import { describeCookie } from "../codecs/describe.ts";
import { generateSecret } from "../crypto/secret.ts";

/** The `tessera` command. Later commands (sessions list/show) join the table below. */
const COMMANDS: Record<string, { summary: string; run: (args: string[]) => number }> = {
  secret: {
    summary: "print a new random secret (32 bytes, base64url) for SECRET_KEY",
    run: () => {
      process.stdout.write(`${generateSecret()}\n`);
      return 0;
    },
  },
  decode: {
    summary:
      "show what a session cookie holds: tessera decode COOKIE [--secret S]... [--max-age SECONDS]",
    run: (args) => {
      const cookies: string[] = [];
      const secrets: string[] = [];
      let maxAgeSeconds: number | undefined;
      for (let index = 0; index < args.length; index += 1) {
        const arg = args[index] as string;
        if (arg === "--secret" || arg === "--max-age") {
          const next = args[index + 1];
          if (next === undefined) {
            process.stderr.write(`tessera decode: ${arg} needs a value\n`);
            return 2;
          }
          index += 1;
          if (arg === "--secret") secrets.push(next);
          else maxAgeSeconds = Number(next);
        } else cookies.push(arg.replace(/^session=/, ""));
      }
      if (cookies.length !== 1 || (maxAgeSeconds !== undefined && !(maxAgeSeconds >= 0))) {
        process.stderr.write(
          "usage: tessera decode COOKIE [--secret S]... [--max-age SECONDS]\n  secrets newest first (the app's SECRET_KEY, then older ones); without one nothing is verified\n",
        );
        return 2;
      }
      const description = describeCookie(cookies[0] as string, {
        ...(secrets.length > 0 ? { secrets } : {}),
        ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
      });
      process.stdout.write(`${JSON.stringify(description, printable, 2)}\n`);
      return description.format === "unknown" || description.verified === false ? 1 : 0;
    },
  },
};

/** JSON for the terminal: bytes as base64, the tagged Flask types by their text. */
function printable(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("base64") };
  return value;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, { summary }]) => `  tessera ${name.padEnd(10)} ${summary}`,
  );
  return `usage:\n${lines.join("\n")}\n`;
}

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : COMMANDS[name];
if (command === undefined) {
  process.stderr.write(
    name === undefined || name === "help" || name === "--help"
      ? usage()
      : `tessera: unknown command ${JSON.stringify(name)}\n${usage()}`,
  );
  process.exitCode = name === undefined || name === "help" || name === "--help" ? 0 : 2;
} else {
  process.exitCode = command.run(args);
}
