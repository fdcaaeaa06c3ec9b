/**
 * What a fuzz target is: a name, what must hold, and a fast-check property built afresh for each
 * run (new keys, stores and caches), so the short form in `npm test` and the long form in
 * `npm run fuzz` run the very same check, only with different numbers of inputs.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { TesseraError } from "../../src/errors.ts";

export interface FuzzTarget {
  readonly name: string;
  /** What must hold, in one line, for the runner's report. */
  readonly holds: string;
  /** Runs the property; the details carry the shrunk counterexample and seed of a failure. */
  run(parameters: fc.Parameters<unknown>): Promise<fc.RunDetails<unknown>>;
}

/** A target from a property factory (which may set up keys, stores or a first session). */
export function defineTarget<Ts>(
  name: string,
  holds: string,
  build: () => fc.IRawProperty<Ts> | Promise<fc.IRawProperty<Ts>>,
): FuzzTarget {
  return {
    name,
    holds,
    async run(parameters) {
      const property = await build();
      return (await fc.check(property, parameters as fc.Parameters<Ts>)) as fc.RunDetails<unknown>;
    },
  };
}

/** Calls `act`; anything it throws must be a TesseraError (the library's one error family). */
export function onlyTesseraErrors<T>(act: () => T): T | undefined {
  try {
    return act();
  } catch (error) {
    assertTesseraError(error);
    return undefined;
  }
}

/** fast-check's report of a failed run, with the error the counterexample raised. */
export function failureReport(details: fc.RunDetails<unknown>): string {
  const error = details.errorInstance;
  const raised = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `${fc.defaultReportMessage(details)}\nError raised: ${raised}`;
}

export function assertTesseraError(error: unknown): void {
  assert.ok(
    error instanceof TesseraError,
    `expected a TesseraError, got ${error instanceof Error ? error.stack : String(error)}`,
  );
}

/**
 * Properties (c) and (d): a mutant of a valid token is accepted only when it is, character for
 * character, the token itself. Anything else accepted would be a forgery (a different token
 * passing) or a second spelling of the same token (a lenient decoder).
 */
export function assertOnlyOriginalAccepted(
  original: string,
  mutant: string,
  accepted: boolean,
): void {
  if (accepted) {
    assert.equal(mutant, original, "a string other than the issued token was accepted");
  }
}
