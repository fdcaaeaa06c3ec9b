import { createServer } from "node:http";
import { withSessions } from "../../src/adapters/node.ts";
import { type AdapterServer, testApp } from "../behaviour/app.ts";
import { localHarness } from "../behaviour/harness.ts";
import { listenNode, withProbe } from "../runtimes/listen.ts";

/** The shared test app through the node:http adapter. */
export const nodeServer: AdapterServer = {
  name: "node:http",
  serve(manager, probe) {
    const handler = withSessions(manager, async (req, res, context) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const { status, body } = await testApp({ method: req.method ?? "GET", url }, context);
      const json = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(json);
    });
    return listenNode(createServer(withProbe(handler, probe)));
  },
};

export const nodeHarness = localHarness(nodeServer);
