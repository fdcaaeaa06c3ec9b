import { channels, type StoreCallMessage, type StoreErrorMessage } from "../diagnostics.ts";
import {
  isCallerError,
  SessionValueError,
  StoreUnavailableError,
  TesseraError,
} from "../errors.ts";
import type { Deadlines } from "../util/deadlines.ts";

interface Outcomes {
  readonly timedOut: () => Error;
  readonly failed: (error: unknown) => unknown;
  /** `failed`, thrown: for a call that runs without a deadline. */
  readonly rethrow: (error: unknown) => never;
}

/**
 * The errors each operation ends in, per manager (one Deadlines each, and one store): made
 * once, not on every call.
 */
const outcomesByDeadlines = new WeakMap<Deadlines, Map<string, Outcomes>>();

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
  const outcomes = outcomesOf(operation, storeKind, deadlines);
  return deadlines.run(call, outcomes.timedOut, outcomes.failed);
}

/**
 * Runs one call of a store that works in this process (`capabilities.inProcess`): it has
 * finished by the time it returns, so no deadline is set, and its failures become the same
 * errors as under `withDeadline`.
 */
export function withoutDeadline<T>(
  operation: string,
  storeKind: string,
  deadlines: Deadlines,
  call: () => Promise<T>,
): Promise<T> {
  const { rethrow } = outcomesOf(operation, storeKind, deadlines);
  try {
    return call().then(undefined, rethrow);
  } catch (error) {
    return Promise.reject(error).then(undefined, rethrow);
  }
}

/** The error a store call's own failure becomes: what `withDeadline` would reject with. */
export function storeFailure(
  operation: string,
  storeKind: string,
  deadlines: Deadlines,
  error: unknown,
): unknown {
  return outcomesOf(operation, storeKind, deadlines).failed(error);
}

function outcomesOf(operation: string, storeKind: string, deadlines: Deadlines): Outcomes {
  let byOperation = outcomesByDeadlines.get(deadlines);
  if (byOperation === undefined) {
    byOperation = new Map();
    outcomesByDeadlines.set(deadlines, byOperation);
  }
  let outcomes = byOperation.get(operation);
  if (outcomes === undefined) {
    const failed = (error: unknown): unknown => {
      // A value the store cannot encode is the application's bug, not an outage: a 500 with
      // the message naming the key, never a 503. tessera's own errors say which they are.
      if (error instanceof TesseraError) return error;
      if (isCallerError(error)) {
        return new SessionValueError(
          `The ${storeKind} session store could not store a value during ${operation}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      return new StoreUnavailableError(
        operation,
        `The ${storeKind} session store failed during ${operation}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    };
    outcomes = {
      timedOut: () =>
        new StoreUnavailableError(
          operation,
          `The ${storeKind} session store did not answer ${operation} within ${deadlines.limitMs} ms; check that it is running and reachable (the storeTimeout option sets this limit).`,
        ),
      failed,
      rethrow: (error) => {
        throw failed(error);
      },
    };
    byOperation.set(operation, outcomes);
  }
  return outcomes;
}

/**
 * `result`, with its latency and outcome published on `tessera:store:call`, and a failure also
 * on `tessera:store:error`. Only used while someone subscribes: the clock is not read otherwise.
 */
export function timed<T>(result: Promise<T>, store: string, operation: string): Promise<T> {
  const started = performance.now();
  return result.then(
    (value) => {
      publishCall(store, operation, performance.now() - started, true);
      return value;
    },
    (error: unknown) => {
      const durationMs = performance.now() - started;
      publishCall(store, operation, durationMs, false);
      if (channels.storeError.hasSubscribers) {
        const message: StoreErrorMessage = {
          store,
          operation,
          durationMs,
          error: error instanceof Error ? error : new Error(String(error)),
        };
        channels.storeError.publish(message);
      }
      throw error;
    },
  );
}

function publishCall(store: string, operation: string, durationMs: number, ok: boolean): void {
  if (!channels.storeCall.hasSubscribers) return;
  const message: StoreCallMessage = { store, operation, durationMs, ok };
  channels.storeCall.publish(message);
}
