/**
 * One call to an express-session store, as a promise, whichever way the store answers. Stores
 * written for express-session answer through a Node-style callback (express-session only ever
 * passes one); newer ones also return a promise (connect-redis 7+), and some only return one.
 * Stores in the wild misbehave too, and none of that may crash the process or hang a request
 * beyond its deadline:
 *
 * - The first answer counts. A second call of the callback, or a promise settling after the
 *   callback, is ignored (connect-redis calls its callback a second time, with an error, when
 *   the first call threw).
 * - A synchronous throw is a failure of the call, like an error passed to the callback.
 * - A returned promise always gets a rejection handler, so a store that rejects after it
 *   answered by callback causes no unhandled rejection.
 */
import type { ExpressSessionStoreLike, StoreMethod } from "./store-like.ts";

export function callStore(
  store: ExpressSessionStoreLike,
  method: StoreMethod,
  args: readonly unknown[],
): Promise<unknown> {
  const fn = store[method] as (...args: unknown[]) => unknown;
  return new Promise((resolve, reject) => {
    let answered = false;
    const answer = (error: unknown, value: unknown): void => {
      if (answered) return;
      answered = true;
      // Falsy means success, as express-session reads it (stores pass null or nothing).
      if (error) reject(error);
      else resolve(value);
    };
    // A throw here (after an answer or not) rejects the promise unless it already settled.
    const returned = fn.call(store, ...args, (error?: unknown, value?: unknown) =>
      answer(error, value),
    );
    if (!isThenable(returned)) return;
    // A method that declares the callback parameter answers through it: its promise may
    // resolve before the answer (`async get(sid, cb) { legacy.get(sid, cb) }`) or with the
    // callback's return value (connect-redis), so only the promise's failure is taken from it.
    // A method without one (promise-only) answers with what its promise resolves to.
    const answersByCallback = fn.length > args.length;
    Promise.resolve(returned).then(
      (value) => {
        if (!answersByCallback) answer(undefined, value);
      },
      (error: unknown) =>
        answer(
          error || new Error(`${method} rejected its promise with ${String(error)}`),
          undefined,
        ),
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
