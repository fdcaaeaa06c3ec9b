/**
 * With BENCH_OBSERVE=1, a listener on every tessera diagnostics channel, as a logger or a metrics
 * exporter would add: the `*-observed` contenders measure what subscribing costs, and beside
 * them the plain ones show that without a subscriber the events cost nothing measurable.
 */
import diagnostics from "node:diagnostics_channel";
import { channelNames } from "../../src/diagnostics.ts";

/** Counts every event, so the work is not optimised away. */
export let observed = 0;

export function observeAll(): void {
  if (process.env.BENCH_OBSERVE !== "1") return;
  for (const name of channelNames) {
    diagnostics.subscribe(name, () => {
      observed++;
    });
  }
}
