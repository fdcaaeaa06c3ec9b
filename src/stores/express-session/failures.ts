/**
 * What a failed or silent express-session store becomes: a StoreUnavailableError (adapters
 * answer 503), whatever the store threw or passed to its callback. The bridge checks every
 * value before the store sees it, so anything the store raises, a TypeError included, is the
 * store's failure, never the application's; tessera's own errors (a SessionValueError naming a
 * key, a TESSERA_UNSUPPORTED listing) pass through as they are.
 */
import { StoreUnavailableError, TesseraError } from "../../errors.ts";

export interface Failures {
  /** The error for a call that did not answer within the deadline. */
  readonly timedOut: () => Error;
  /** The error to reject with, given what the call failed with. */
  readonly failed: (error: unknown) => unknown;
}

/**
 * The failures of one operation (`get`, `apply`...) of the store named `storeName` (its class,
 * such as "RedisStore"), made once per operation rather than per call.
 */
export function failuresOf(operation: string, storeName: string, timeoutMs: number): Failures {
  return {
    timedOut: () =>
      new StoreUnavailableError(
        operation,
        `The express-session store ${storeName} did not answer ${operation} within ${timeoutMs} ms (it neither called back nor settled its promise); check that its backend is running and reachable (fromExpressSessionStore's timeout option sets this limit).`,
      ),
    failed: (error) => {
      if (error instanceof TesseraError) return error;
      return new StoreUnavailableError(
        operation,
        `The express-session store ${storeName} failed during ${operation}: ${describe(error)}; check that its backend is running and reachable.`,
        { cause: error },
      );
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
