import { createServer } from "node:http";
import Fastify from "fastify";
import { fastifySessions } from "../../src/adapters/fastify/index.ts";
import { type AdapterServer, type NeutralSession, testApp } from "../behaviour/app.ts";
import { localHarness } from "../behaviour/harness.ts";
import { listenNode, withProbe } from "../runtimes/listen.ts";

/** The shared test app as a Fastify 5 application: the plugin, then one route. */
export const fastifyServer: AdapterServer = {
  name: "Fastify 5",
  async serve(manager, probe) {
    let server: ReturnType<typeof createServer> | undefined;
    const app = Fastify({
      // Errors go to console.error, where the suites look for them (Fastify logs nothing by
      // default).
      logger: { level: "error", stream: { write: (line: string) => console.error(line) } },
      serverFactory: (handler) => {
        server = createServer(withProbe(handler, probe));
        return server;
      },
    });
    // The suites post forms; the test app reads only the query.
    app.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string" },
      (_request, body, done) => done(null, body),
    );
    await app.register(fastifySessions(manager));
    app.all("/*", async (request, reply) => {
      const url = new URL(request.url, "http://localhost");
      const session = request.tessera.session as unknown as NeutralSession;
      const { status, body } = await testApp(
        { method: request.method, url },
        { session: async () => session, cookies: request.tessera.cookies },
      );
      return reply.code(status).send(body);
    });
    await app.ready();
    const listening = await listenNode(server as ReturnType<typeof createServer>);
    return {
      url: listening.url,
      close: async () => {
        await listening.close();
        await app.close();
      },
    };
  },
};

export const fastifyHarness = localHarness(fastifyServer);
