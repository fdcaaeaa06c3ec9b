import { StoreUnavailableError } from "../errors.ts";

/**
 * Runs one store call with a deadline. A store that fails or does not answer in time becomes a
 * StoreUnavailableError (adapters answer 503) instead of a hung request or a crashed process.
 */
export function withDeadline<T>(
  operation: string,
  storeKind: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new StoreUnavailableError(
          operation,
          `The ${storeKind} session store did not answer ${operation} within ${timeoutMs} ms; check that it is running and reachable (the storeTimeout option sets this limit).`,
        ),
      );
    }, timeoutMs);
  });
  let pending: Promise<T>;
  try {
    pending = call();
  } catch (error) {
    pending = Promise.reject(error);
  }
  const guarded = pending.then(
    (value) => value,
    (error: unknown) => {
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
    },
  );
  return Promise.race([guarded, deadline]).finally(() => clearTimeout(timer));
}
