import { StoreUnavailableError } from "../errors.ts";
import type { Deadlines } from "../util/deadlines.ts";

/**
 * Runs one store call with a deadline. A store that fails or does not answer in time becomes a
 * StoreUnavailableError (adapters answer 503) instead of a hung request or a crashed process.
 */
export function withDeadline<T>(
  operation: string,
  storeKind: string,
  deadlines: Deadlines,
  call: () => Promise<T>,
): Promise<T> {
  return deadlines
    .run(
      call,
      () =>
        new StoreUnavailableError(
          operation,
          `The ${storeKind} session store did not answer ${operation} within ${deadlines.limitMs} ms; check that it is running and reachable (the storeTimeout option sets this limit).`,
        ),
    )
    .catch((error: unknown) => {
      // A value the store cannot encode is the application's bug, not an outage: it stays a
      // TypeError or RangeError (a 500 with the message pointing at the key), never a 503.
      if (
        error instanceof StoreUnavailableError ||
        error instanceof TypeError ||
        error instanceof RangeError
      ) {
        throw error;
      }
      throw new StoreUnavailableError(
        operation,
        `The ${storeKind} session store failed during ${operation}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    });
}
