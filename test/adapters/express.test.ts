import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { runBehaviourSuite } from "../behaviour/suite.ts";
import { express4Harness, express5Harness } from "./express-harness.ts";

for (const harness of [express5Harness, express4Harness]) {
  runBehaviourSuite(harness);
  runCookieSessionSuite(harness);
}
