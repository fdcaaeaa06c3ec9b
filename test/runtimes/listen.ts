/**
 * Starting the test servers on whichever runtime runs them (Node, Bun or Deno), on 127.0.0.1
 * and a free port, with the store probe's endpoint beside the application.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PROBE_PATH, type ProbeAnswer } from "../behaviour/app.ts";

export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 and a free port; `close` ends open connections too. */
export async function listenNode(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A node:http listener that answers the probe's requests and hands the rest to `handler`. */
export function withProbe(
  handler: RequestListener,
  probe: ProbeAnswer | undefined,
): RequestListener {
  if (probe === undefined) return handler;
  return (req, res) => {
    if (req.url !== PROBE_PATH) return handler(req, res);
    void answerNodeProbe(req, res, probe);
  };
}

async function answerNodeProbe(
  req: IncomingMessage,
  res: ServerResponse,
  probe: ProbeAnswer,
): Promise<void> {
  let body = "";
  for await (const chunk of req) body += String(chunk);
  const { status, json } = await probe(body);
  res.writeHead(status, { "content-type": "application/json" });
  res.end(json);
}

/** A fetch handler that answers the probe's requests and hands the rest to `handler`. */
export function fetchWithProbe(
  handler: (request: Request) => Response | Promise<Response>,
  probe: ProbeAnswer | undefined,
): (request: Request) => Response | Promise<Response> {
  if (probe === undefined) return handler;
  return async (request) => {
    if (new URL(request.url).pathname !== PROBE_PATH) return handler(request);
    const { status, json } = await probe(await request.text());
    return new Response(json, { status, headers: { "content-type": "application/json" } });
  };
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface DenoServer {
  readonly addr: { readonly port: number };
  shutdown(): Promise<void>;
}
declare const Bun: { serve(options: Record<string, unknown>): BunServer } | undefined;
declare const Deno:
  | { serve(options: Record<string, unknown>, handler: FetchHandler): DenoServer }
  | undefined;

/**
 * Serves a fetch handler on 127.0.0.1 and a free port with the runtime's own server: Bun.serve,
 * Deno.serve, or @hono/node-server on Node.
 */
export async function listenFetch(fetch: FetchHandler): Promise<Listening> {
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch });
    return { url: `http://127.0.0.1:${server.port}`, close: async () => server.stop(true) };
  }
  if (typeof Deno !== "undefined") {
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, fetch);
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  }
  const { createAdaptorServer } = await import("@hono/node-server");
  return listenNode(createAdaptorServer({ fetch }) as Server);
}
