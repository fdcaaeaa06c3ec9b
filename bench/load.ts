/** One window of load on one server, through autocannon's programmatic API. */
import autocannon from "autocannon";
import { cpuSecondsOf } from "./cpu.ts";
import type { LoadTarget } from "./http.ts";
import type { Settings } from "./settings.ts";

export interface Window {
  /** 2xx responses per second of the window. */
  readonly requestsPerSecond: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** Server CPU seconds per wall second (1 = one core saturated); undefined without /proc. */
  readonly serverBusy: number | undefined;
  /** Server CPU microseconds per 2xx response; undefined without /proc. */
  readonly serverCpuMicrosPerRequest: number | undefined;
}

let current: { stop(): void } | undefined;

export async function runWindow(
  origin: string,
  serverPid: number,
  target: LoadTarget,
  settings: Settings,
  seconds: number,
): Promise<Window> {
  const cpuBefore = cpuSecondsOf(serverPid);
  const perConnection = target.connectionHeaders;
  let connection = 0;
  const instance = autocannon({
    url: new URL(target.path, origin).href,
    method: target.method,
    headers: { ...target.headers },
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: seconds,
    // A response slower than this is an error worth seeing, not a data point.
    timeout: 5,
    // Set once per connection, so a request costs the load generator the same either way.
    ...(perConnection === undefined || perConnection.length === 0
      ? {}
      : {
          setupClient: (client) => {
            client.setHeaders({ ...perConnection[connection++ % perConnection.length] });
          },
        }),
  });
  current = instance;
  const result = await instance;
  current = undefined;
  const cpuAfter = cpuSecondsOf(serverPid);
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  const ok = result["2xx"];
  return {
    requestsPerSecond: ok / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverBusy: cpu === undefined ? undefined : cpu / result.duration,
    serverCpuMicrosPerRequest: cpu === undefined || ok === 0 ? undefined : (cpu * 1e6) / ok,
  };
}

/** Ends the window in progress, if any (on Ctrl-C), so its sockets close at once. */
export function stopLoad(): void {
  current?.stop();
}
