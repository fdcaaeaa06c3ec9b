// autocannon ships no types and @types/autocannon is not a dependency; this declares only the
// part of its programmatic API the benchmark uses (see node_modules/autocannon/README.md).
declare module "autocannon" {
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    /** Called once for each connection as it is made. */
    setupClient?: (client: Client) => void;
  }

  interface Client {
    /** The headers this connection sends on every request from now on. */
    setHeaders(headers: Record<string, string>): void;
  }

  interface Result {
    /** Seconds the run actually took. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
    statusCodeStats: Record<string, { count: number }>;
    latency: { p50: number; p99: number; average: number };
  }

  interface Instance extends PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
