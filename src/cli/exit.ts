/** The `tessera` command's exit codes, documented in README and in `tessera --help`. */
export const EXIT = {
  ok: 0,
  /** The session or user was not found, or a cookie did not verify. */
  notFound: 1,
  /** Bad arguments: an unknown command or option, a malformed URL. */
  usage: 2,
  /** The store did not answer (refused, timed out, missing database file). */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure that ends the command with one line on stderr and its exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export const EXIT_CODES_HELP = `exit codes: 0 ok, 1 not found or not verified, 2 usage, 3 store unreachable`;
