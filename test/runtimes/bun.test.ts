/**
 * The shared suites through every adapter on Bun: each server runs in its own Bun process
 * (Bun comes from npm as a devDependency), and the store is reached through its probe.
 */
import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { runBehaviourSuite } from "../behaviour/suite.ts";
import { remoteHarness } from "./remote.ts";

for (const server of ["node:http", "Express 5", "Fastify 5", "Hono", "fetch handler"]) {
  const harness = remoteHarness("bun", server);
  runBehaviourSuite(harness);
  runCookieSessionSuite(harness);
}
