/**
 * Time limits for many calls that share one limit, without a timer per call. Calls that share
 * a limit reach their deadlines in the order they started, so one timer, set for the oldest
 * call still pending, serves them all: a busy server pays for a queue entry per call instead of
 * a setTimeout, a clearTimeout and a Promise.race. Times are monotonic (performance.now), so a
 * wall-clock step (an NTP correction) can neither hold a deadline back nor fire one early.
 *
 * Cloudflare Workers cancel a request's timers when its response is done, so a timer shared
 * across requests would die with the first one and later calls would never time out. There
 * setTimeout returns a number rather than Node's Timeout object; from the first such timer on,
 * every call gets a timer of its own, which lives exactly as long as the request that waits.
 */

interface Pending {
  readonly expiresAt: number;
  settled: boolean;
  readonly reject: (error: unknown) => void;
  readonly timeoutError: () => Error;
}

export class Deadlines {
  readonly limitMs: number;
  #queue: Pending[] = [];
  /** Index of the oldest entry not yet removed; the array is compacted now and then. */
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Timers end with the request here (see above): one timer per call. */
  #timerPerCall = false;

  constructor(limitMs: number) {
    this.limitMs = limitMs;
  }

  /**
   * Settles like `call()`, unless `limitMs` passes first: then it rejects with
   * `timeoutError()` and whatever the call does later is ignored. `failure` turns the call's
   * own error into the one to reject with (in the same step, so no extra promise per call).
   */
  run<T>(
    call: () => Promise<T>,
    timeoutError: () => Error,
    failure: (error: unknown) => unknown = (error) => error,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        expiresAt: performance.now() + this.limitMs,
        settled: false,
        reject,
        timeoutError,
      };
      const ownTimer = this.#timerPerCall
        ? setTimeout(() => Deadlines.#timeOut(entry), this.limitMs)
        : undefined;
      if (ownTimer === undefined) {
        this.#queue.push(entry);
        if (this.#timer === undefined) this.#schedule(this.limitMs);
      }
      let pending: Promise<T>;
      try {
        pending = call();
      } catch (error) {
        pending = Promise.reject(error);
      }
      // (a synchronous throw takes the same path, so `failure` sees it too)
      pending.then(
        (value) => {
          if (entry.settled) return;
          entry.settled = true;
          if (ownTimer !== undefined) clearTimeout(ownTimer);
          resolve(value);
        },
        (error: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          if (ownTimer !== undefined) clearTimeout(ownTimer);
          reject(failure(error));
        },
      );
    });
  }

  static #timeOut(entry: Pending): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.reject(entry.timeoutError());
  }

  #schedule(delayMs: number): void {
    const timer = setTimeout(() => this.#expire(), Math.max(1, delayMs));
    this.#timer = timer;
    if (typeof timer === "number") this.#timerPerCall = true;
    // Pending calls keep the process alive by their own I/O; a deadline alone must not.
    else timer.unref?.();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const queue = this.#queue;
    let head = this.#head;
    while (head < queue.length) {
      const entry = queue[head] as Pending;
      if (!entry.settled) {
        if (entry.expiresAt > now) break;
        entry.settled = true;
        entry.reject(entry.timeoutError());
      }
      head += 1;
    }
    if (head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      return;
    }
    // Drop the finished prefix once it is the larger part, so the array stays small.
    if (head > queue.length / 2) {
      this.#queue = queue.slice(head);
      head = 0;
    }
    this.#head = head;
    this.#schedule((this.#queue[head] as Pending).expiresAt - now);
  }
}
