/**
 * What a soak server reports about itself when the parent asks: memory after a forced GC (so
 * garbage not yet collected does not read as growth), event-loop delay since the last sample,
 * and the things that leak as counts rather than bytes: active handles and resources by type,
 * and listeners on the long-lived emitters. The parent keeps the samples; the server keeps
 * none, so sampling adds nothing that grows.
 */
import type { EventEmitter } from "node:events";
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface Sample {
  /** Milliseconds since the server started. */
  readonly at: number;
  readonly rssBytes: number;
  /** heapUsed right after a full GC. */
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  /** Event-loop delay since the previous sample, in milliseconds beyond the monitor's own interval. */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** `process.getActiveResourcesInfo()` counted by type (Timeout, TCPSocketWrap, …). */
  readonly resources: Readonly<Record<string, number>>;
  /** Listeners on each long-lived emitter, all events together. */
  readonly listeners: Readonly<Record<string, number>>;
  /** Open connections to the server. */
  readonly connections: number;
}

/** Node's sampling resolution is 10 ms by default; finer shows the short stalls a store causes. */
const DELAY_RESOLUTION_MS = 5;

export function startSampler(
  emitters: () => Readonly<Record<string, EventEmitter>>,
  connections: () => number,
): () => Sample {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error("the soak server must run with --expose-gc");
  const started = performance.now();
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  return () => {
    // Read the delay before the GC and reset it after: the forced GC's own pause is the
    // sampler's doing, not the server's, and must not land in any interval.
    // The histogram holds the time between the monitor's timer firings, so an idle loop reads
    // as the resolution itself: the delay is what lies beyond it.
    const beyond = (nanoseconds: number): number =>
      delay.count === 0 ? 0 : Math.max(0, nanoseconds / 1e6 - DELAY_RESOLUTION_MS);
    const eventLoopDelayMs = {
      p50: beyond(delay.percentile(50)),
      p99: beyond(delay.percentile(99)),
      max: beyond(delay.max),
    };
    gc();
    const memory = process.memoryUsage();
    delay.reset();
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) {
      resources[type] = (resources[type] ?? 0) + 1;
    }
    const listeners: Record<string, number> = {};
    for (const [name, emitter] of Object.entries(emitters())) {
      listeners[name] = emitter
        .eventNames()
        .reduce((sum, event) => sum + emitter.listenerCount(event), 0);
    }
    return {
      at: performance.now() - started,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      eventLoopDelayMs,
      resources,
      listeners,
      connections: connections(),
    };
  };
}
