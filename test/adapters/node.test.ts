import { runBehaviourSuite } from "../behaviour/suite.ts";
import { nodeHarness } from "./node-harness.ts";

runBehaviourSuite(nodeHarness);
