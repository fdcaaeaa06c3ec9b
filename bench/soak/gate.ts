/**
 * Lets the sampler stop the load between requests: samples are taken with no request in
 * flight, so a count of timers, sockets or listeners is the server's resting state, and any
 * difference between two samples is something that stayed behind.
 */
export class Gate {
  #paused: PromiseWithResolvers<void> | undefined;
  #idle: PromiseWithResolvers<void> | undefined;
  #inFlight = 0;

  async enter(): Promise<void> {
    while (this.#paused !== undefined) await this.#paused.promise;
    this.#inFlight++;
  }

  leave(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) this.#idle?.resolve();
  }

  /** Resolves once every step in flight has finished; no new one starts until `resume()`. */
  async pause(): Promise<void> {
    this.#paused ??= Promise.withResolvers<void>();
    if (this.#inFlight === 0) return;
    this.#idle = Promise.withResolvers<void>();
    await this.#idle.promise;
    this.#idle = undefined;
  }

  resume(): void {
    this.#paused?.resolve();
    this.#paused = undefined;
  }
}
