import type { AdapterServer } from "../behaviour/app.ts";
import { localHarness } from "../behaviour/harness.ts";
import { fetchWithProbe, listenFetch } from "../runtimes/listen.ts";
import { fetchTestHandler, honoTestApp } from "./web-apps.ts";

/** The shared test app as a Hono application, served by the runtime's own server. */
export const honoServer: AdapterServer = {
  name: "Hono",
  serve: (manager, probe) => listenFetch(fetchWithProbe(honoTestApp(manager), probe)),
};

/** The shared test app as a plain fetch handler (tessera/fetch), with no framework. */
export const fetchServer: AdapterServer = {
  name: "fetch handler",
  serve: (manager, probe) => listenFetch(fetchWithProbe(fetchTestHandler(manager), probe)),
};

export const honoHarness = localHarness(honoServer);
export const fetchHarness = localHarness(fetchServer);
