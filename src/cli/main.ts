#!/usr/bin/env node
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
};

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
