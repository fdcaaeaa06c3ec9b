/**
 * What every benchmark server shares: listen on an ephemeral port on loopback, tell the parent
 * the port on stdout, and exit cleanly when told to or when the parent goes away.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function serve(handler: Handler, onClose: () => void | Promise<void> = () => {}): void {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    // The parent waits for this one line; anything else on stdout would confuse it.
    process.stdout.write(`${port}\n`);
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    // A normal exit (not death by signal) is what lets --cpu-prof write its profile.
    void Promise.resolve()
      .then(onClose)
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // stdin is a pipe from the parent: its end means the parent died without killing us (SIGKILL,
  // crash), and a benchmark server must never outlive its run.
  process.stdin.on("end", stop).resume();
}

/**
 * Answers the JSON in one of the two ways node:http apps send headers, picked by BENCH_STYLE:
 * `writeHead` with a headers object (the default), or `setHeader` for each and then `end`,
 * what Express and most middleware-based code do. node:http takes different paths for the two
 * (an object passed to writeHead is sent as it is; headers set one by one are kept in a map
 * first), and a session adapter that adds its headers may cost more in one than in the other.
 */
export const sendJson: (res: ServerResponse, status: number, json: string) => void =
  process.env.BENCH_STYLE === "setHeader" ? sendJsonSetHeader : sendJsonWriteHead;

function sendJsonWriteHead(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(json),
    "Cache-Control": "no-store",
  });
  res.end(json);
}

function sendJsonSetHeader(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(json));
  res.setHeader("Cache-Control", "no-store");
  res.end(json);
}

/** A setting the parent must pass; a missing one is a bug in the contender table. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set for this server.`);
  return value;
}

/** The workload a peer or cookie contender serves, chosen by the parent through BENCH_WORKLOAD. */
export function benchWorkload(): "read" | "write" {
  const workload = requiredEnv("BENCH_WORKLOAD");
  if (workload !== "read" && workload !== "write") {
    throw new Error(`BENCH_WORKLOAD ${JSON.stringify(workload)} is not "read" or "write".`);
  }
  return workload;
}
