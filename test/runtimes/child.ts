/**
 * A test server in another runtime (Bun or Deno): builds the fixture that the config in
 * TESSERA_TEST_CONFIG describes, serves the shared test app through the adapter named in the
 * first argument, prints `LISTENING <url>`, and stops when its stdin closes. Errors it logs are
 * kept for the probe's "logs" request as well as written to stderr.
 */
import type { AdapterServer } from "../behaviour/app.ts";
import { buildFixture, type ServeConfig } from "../behaviour/fixture.ts";
import { probeAnswer } from "../behaviour/harness.ts";

const SERVERS: Record<string, () => Promise<AdapterServer>> = {
  "node:http": async () => (await import("../adapters/node-harness.ts")).nodeServer,
  "Express 5": async () => (await import("../adapters/express-harness.ts")).express5Server,
  "Express 4": async () => (await import("../adapters/express-harness.ts")).express4Server,
  "Fastify 5": async () => (await import("../adapters/fastify-harness.ts")).fastifyServer,
  Hono: async () => (await import("../adapters/hono-harness.ts")).honoServer,
  "fetch handler": async () => (await import("../adapters/hono-harness.ts")).fetchServer,
};

const logged: string[] = [];
const writeError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  logged.push(args.map((arg) => (arg instanceof Error ? `${arg.stack}` : String(arg))).join(" "));
  writeError(...args);
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? "";
  const server = SERVERS[name];
  if (server === undefined) throw new Error(`no test server called ${JSON.stringify(name)}`);
  const config = JSON.parse(process.env.TESSERA_TEST_CONFIG ?? "{}") as ServeConfig;
  const fixture = await buildFixture(config);
  const answer = probeAnswer(fixture.probe, () => logged.splice(0));
  const served = await (await server()).serve(fixture.manager, answer);
  process.stdout.write(`LISTENING ${served.url}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    void served
      .close()
      .then(() => fixture.close())
      .finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  writeError(error);
  process.exit(1);
});
