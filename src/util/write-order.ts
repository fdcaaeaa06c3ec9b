/**
 * Keeps a write that was given up on from landing after a later one. A deadline abandons a
 * call, it does not undo it: the request was answered 503, but the write may still reach the
 * store later (a pool's other connection is faster than a stalled one) and undo a later write
 * that was acknowledged. So while an abandoned write to a key is in flight, the next write to
 * that key waits for it to settle; writes behind no abandoned one go out at once, so concurrent
 * requests changing different keys of one session keep their speed.
 *
 * Used at each level that abandons calls: the engine (its `storeTimeout`) and a store that
 * bounds its own driver's calls (postgresStore's `timeout`).
 */
export class WriteOrder {
  /** Per key, an abandoned write that has not settled yet. */
  readonly #abandoned = new Map<string, Promise<void>>();

  /**
   * Sends the write for `keys` once no abandoned write to any of them is in flight. `bounded`
   * runs the call it is given under a deadline (its result is what the caller sees); waiting
   * counts against that deadline, so a stuck write makes the next ones fail rather than hang.
   */
  run<R>(
    keys: readonly string[],
    send: () => Promise<R>,
    bounded: (call: () => Promise<R>) => Promise<R>,
  ): Promise<R> {
    let before: Promise<void> | undefined;
    for (const key of keys) before ??= this.#abandoned.get(key);
    let sent: Promise<R> | undefined;
    const result = bounded(() => {
      sent = before === undefined ? send() : before.then(send);
      return sent;
    });
    if (sent !== undefined) this.#watch(sent, result, keys);
    return result;
  }

  /** Once `result` fails while `sent` is still in flight, `sent` is abandoned until it settles. */
  #watch(sent: Promise<unknown>, result: Promise<unknown>, keys: readonly string[]): void {
    let inFlight = true;
    const settled = sent.then(
      () => {
        inFlight = false;
      },
      () => {
        inFlight = false;
      },
    );
    result.catch(() => {
      if (!inFlight) return;
      for (const key of keys) this.#abandoned.set(key, settled);
      settled.then(() => {
        for (const key of keys) {
          if (this.#abandoned.get(key) === settled) this.#abandoned.delete(key);
        }
      });
    });
  }
}
