import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { nodeHarness } from "./node-harness.ts";

runCookieSessionSuite(nodeHarness);
