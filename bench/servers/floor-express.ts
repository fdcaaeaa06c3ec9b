/**
 * The Express floor: Express 5, set up as every Express contender is (express-common.ts),
 * answering the JSON with no session middleware. A session contender in Express divided by
 * this is the cost of its sessions in that framework.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createExpressApp, sendExpressJson } from "./express-common.ts";
import { serve } from "./serve.ts";

const app = createExpressApp();
app.get("/", (_req, res) => sendExpressJson(res, 200, { username: "alice" }));

serve((req: IncomingMessage, res: ServerResponse) => app(req, res));
