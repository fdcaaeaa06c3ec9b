import { createServer } from "node:http";
import { TesseraError } from "../src/errors.ts";
import { createDemoApp } from "./app.ts";
import { type DemoConfig, loadConfig } from "./config.ts";

/**
 * `npm start`: the demo site. Settings: PORT, HOST, SESSION_STORE, SESSION_PREFIX, SECRET_KEY
 * (see README).
 */
async function main(): Promise<void> {
  let config: DemoConfig;
  let app: ReturnType<typeof createDemoApp>;
  try {
    config = loadConfig();
    app = createDemoApp(config);
    // Only a store that answers is worth listening for: a dead Redis stops the start here.
    await config.connect();
  } catch (error) {
    if (error instanceof TesseraError || error instanceof RangeError) {
      console.error(`tessera demo cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  for (const notice of config.notices) console.log(`notice: ${notice}`);
  const server = createServer(app.handler);
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : config.port;
    console.log(
      `tessera demo listening on http://${config.host}:${port} (sessions: ${config.storeDescription})`,
    );
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    // The sessions first (the store lets go of the client), then the client they used.
    void app.sessions
      .close()
      .finally(() => config.disconnect())
      .finally(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
