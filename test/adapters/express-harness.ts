import { createServer } from "node:http";
import express5 from "express";
import express4 from "express-4";
import { expressSessions } from "../../src/adapters/express/index.ts";
import { type AdapterServer, type NeutralSession, testApp } from "../behaviour/app.ts";
import { localHarness } from "../behaviour/harness.ts";
import { listenNode, withProbe } from "../runtimes/listen.ts";

type ExpressFactory = typeof express5;

/** The shared test app as an Express application: one middleware line, then a route. */
function expressServer(express: ExpressFactory, name: string): AdapterServer {
  return {
    name,
    serve(manager, probe) {
      const app = express();
      app.use(expressSessions(manager));
      app.all(/.*/, (req, res, next) => {
        const url = new URL(req.originalUrl, "http://localhost");
        const session = req.tessera.session as unknown as NeutralSession;
        // Express 4 does not catch a rejected promise itself: as its users do, pass it to next.
        testApp(
          { method: req.method, url },
          { session: async () => session, cookies: req.tessera.cookies },
        )
          .then(({ status, body }) => res.status(status).json(body))
          .catch(next);
      });
      return listenNode(createServer(withProbe(app, probe)));
    },
  };
}

export const express5Server = expressServer(express5, "Express 5");
export const express4Server = expressServer(express4 as unknown as ExpressFactory, "Express 4");
export const express5Harness = localHarness(express5Server);
export const express4Harness = localHarness(express4Server);
