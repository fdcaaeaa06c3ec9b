import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { runBehaviourSuite } from "../behaviour/suite.ts";
import { fetchHarness, honoHarness } from "./hono-harness.ts";

for (const harness of [honoHarness, fetchHarness]) {
  runBehaviourSuite(harness);
  runCookieSessionSuite(harness);
}
