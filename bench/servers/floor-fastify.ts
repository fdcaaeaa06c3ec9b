/**
 * The Fastify floor: Fastify 5, set up as every Fastify contender is (fastify-common.ts),
 * answering the JSON with no session plugin. A session contender in Fastify divided by this is
 * the cost of its sessions in that framework.
 *
 * With BENCH_HOOKS=1 it also has an onRequest and an onSend hook that do nothing but go on:
 * the two hooks every session plugin needs (tessera's and @fastify/session's alike), so what
 * Fastify's hook machinery costs is told apart from what the plugin does in them.
 */
import { createFastifyApp, sendFastifyJson, serveFastify } from "./fastify-common.ts";

const app = createFastifyApp();
if (process.env.BENCH_HOOKS === "1") {
  app.addHook("onRequest", (_request, _reply, next) => next());
  app.addHook("onSend", (_request, _reply, payload, next) => next(null, payload));
}
app.get("/", async (_request, reply) => sendFastifyJson(reply, 200, { username: "alice" }));

await serveFastify(app);
