import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { runBehaviourSuite } from "../behaviour/suite.ts";
import { fastifyHarness } from "./fastify-harness.ts";

runBehaviourSuite(fastifyHarness);
runCookieSessionSuite(fastifyHarness);
