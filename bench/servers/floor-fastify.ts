/**
 * The Fastify floor: Fastify 5, set up as every Fastify contender is (fastify-common.ts),
 * answering the JSON with no session plugin. A session contender in Fastify divided by this is
 * the cost of its sessions in that framework.
 */
import { createFastifyApp, sendFastifyJson, serveFastify } from "./fastify-common.ts";

const app = createFastifyApp();
app.get("/", async (_request, reply) => sendFastifyJson(reply, 200, { username: "alice" }));

await serveFastify(app);
