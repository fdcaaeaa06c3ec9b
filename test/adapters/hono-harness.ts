import { Hono } from "hono";
import { withSessions } from "../../src/adapters/fetch/index.ts";
import { honoSessions, type SessionEnv } from "../../src/adapters/hono/index.ts";
import { type AdapterServer, type NeutralSession, testApp } from "../behaviour/app.ts";
import { localHarness } from "../behaviour/harness.ts";
import { fetchWithProbe, listenFetch } from "../runtimes/listen.ts";

/** The shared test app as a Hono application, served by the runtime's own server. */
export const honoServer: AdapterServer = {
  name: "Hono",
  serve(manager, probe) {
    const app = new Hono<SessionEnv>();
    app.use(honoSessions(manager));
    app.all("*", async (c) => {
      const session = c.var.session as unknown as NeutralSession;
      const { status, body } = await testApp(
        { method: c.req.method, url: new URL(c.req.url) },
        { session: async () => session, cookies: c.var.cookies },
      );
      return c.json(body, status as 200);
    });
    return listenFetch(fetchWithProbe(app.fetch, probe));
  },
};

/** The shared test app as a plain fetch handler (tessera/fetch), with no framework. */
export const fetchServer: AdapterServer = {
  name: "fetch handler",
  serve(manager, probe) {
    const handler = withSessions(manager, async (request, context) => {
      const { status, body } = await testApp(
        { method: request.method, url: new URL(request.url) },
        context as unknown as Parameters<typeof testApp>[1],
      );
      return Response.json(body, { status });
    });
    return listenFetch(fetchWithProbe(handler, probe));
  },
};

export const honoHarness = localHarness(honoServer);
export const fetchHarness = localHarness(fetchServer);
