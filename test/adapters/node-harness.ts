import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { withSessions } from "../../src/adapters/node.ts";
import { type AdapterHarness, testApp } from "../behaviour/app.ts";

/** Serves the shared test app through the node:http adapter. */
export const nodeHarness: AdapterHarness = {
  name: "node:http",
  async serve(manager) {
    const server = createServer(
      withSessions(manager, async (req, res, context) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const { status, body } = await testApp({ method: req.method ?? "GET", url }, context);
        const json = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json" });
        res.end(json);
      }),
    );
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
  },
};
