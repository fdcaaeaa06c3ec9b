/**
 * The expiry sweep of the stores that keep rows past their expiry until something deletes them
 * (SQLite, PostgreSQL): an interval option checked at startup, a timer that never keeps the
 * process alive, and one run at a time shared by the timer and `purgeExpired()`.
 */
import { ConfigError } from "../errors.ts";
import { type Duration, toMilliseconds } from "../util/duration.ts";

/** setInterval cannot wait longer; a larger delay would fire every millisecond. */
const MAX_TIMER_MS = 2_147_483_647;

export interface Sweeper {
  /** Sweeps now, or joins the sweep already running; resolves to the rows it deleted. */
  run(): Promise<number>;
  /** Stops the timer and waits for a sweep still running. */
  stop(): Promise<void>;
}

/**
 * `intervalMs` comes from `sweepIntervalMs` (0: only `run()` sweeps); `store` names the store in
 * messages ("sqliteStore"), `purge` deletes every expired row.
 */
export function startSweeper(
  store: string,
  intervalMs: number,
  purge: () => Promise<number>,
): Sweeper {
  let sweeping: Promise<number> | undefined;
  const run = (): Promise<number> => {
    // A sweep from the timer and a purgeExpired() call share one run instead of racing.
    sweeping ??= purge().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          run().catch((error: unknown) => {
            // A failed sweep is retried on the next tick; it must never take the process down.
            process.emitWarning(
              `tessera ${store}: sweeping expired sessions failed, retrying in ${intervalMs} ms: ${
                error instanceof Error ? error.message : String(error)
              }`,
            );
          });
        }, intervalMs)
      : undefined;
  // The sweep is housekeeping: it must not keep the process alive on its own.
  if (typeof timer === "object") timer.unref?.();
  return {
    run,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await sweeping?.catch(() => undefined);
    },
  };
}

/** The `sweepInterval` option in milliseconds, checked at startup (false: 0, no timer). */
export function sweepIntervalMs(store: string, interval: Duration | false): number {
  if (interval === false) return 0;
  let ms: number;
  try {
    ms = toMilliseconds(interval, `${store} sweepInterval`);
  } catch (error) {
    throw new ConfigError(
      `${error instanceof Error ? error.message : String(error)}; use 0 or false to turn the sweep off`,
      { cause: error },
    );
  }
  if (ms > MAX_TIMER_MS) {
    throw new ConfigError(
      `${store} sweepInterval ${JSON.stringify(interval)} is longer than the longest timer Node.js supports (about 24.8 days); use a shorter interval such as "1h"`,
    );
  }
  return ms;
}
