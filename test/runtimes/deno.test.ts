/**
 * The shared suites through every adapter on Deno: each server runs in its own Deno process
 * (Deno comes from npm as a devDependency), and the store is reached through its probe.
 */
import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { runBehaviourSuite } from "../behaviour/suite.ts";
import { remoteHarness } from "./remote.ts";

for (const server of ["node:http", "Express 5", "Fastify 5", "Hono", "fetch handler"]) {
  const harness = remoteHarness("deno", server);
  runBehaviourSuite(harness);
  runCookieSessionSuite(harness);
}
