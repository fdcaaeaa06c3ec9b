/**
 * Serving the test app: in this process (localHarness), and the probe endpoint's answers for a
 * server in another process. Kept apart from app.ts, which a Worker bundles and which must not
 * pull in the stores' clients.
 */
import type { AdapterHarness, AdapterServer, ProbeAnswer } from "./app.ts";
import { answerProbe, buildFixture, type ProbeRequest, type StoreProbe } from "./fixture.ts";

/** The probe endpoint's answers for a fixture's probe, and for the server's error log. */
export function probeAnswer(
  probe: StoreProbe | undefined,
  errorsLogged: () => string[] = () => [],
): ProbeAnswer {
  return async (body) => {
    try {
      const request = JSON.parse(body) as ProbeRequest | { op: "errorsLogged" };
      if (request.op === "errorsLogged") {
        return { status: 200, json: JSON.stringify({ result: errorsLogged() }) };
      }
      const answer = await answerProbe(probe, request);
      return { status: 200, json: JSON.stringify(answer) };
    } catch (error) {
      return { status: 500, json: JSON.stringify({ error: String(error) }) };
    }
  };
}

/** Serves an adapter in this process, with the fixture built here. */
export function localHarness(server: AdapterServer): AdapterHarness {
  return {
    name: server.name,
    sqlite: true,
    async serve(config) {
      const fixture = await buildFixture(config);
      const served = await server.serve(fixture.manager, undefined);
      return {
        url: served.url,
        store: fixture.probe,
        errorsLogged: async () => [],
        close: async () => {
          await served.close();
          await fixture.close();
        },
      };
    },
  };
}
