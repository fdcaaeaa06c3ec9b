import { createServer } from "node:http";
import { TesseraError } from "../src/errors.ts";
import { createDemoApp } from "./app.ts";
import { loadConfig } from "./config.ts";

/** `npm start`: the demo site. Settings: PORT, HOST, SESSION_STORE, SECRET_KEY (see README). */
function main(): void {
  let config: ReturnType<typeof loadConfig>;
  let app: ReturnType<typeof createDemoApp>;
  try {
    config = loadConfig();
    app = createDemoApp(config);
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
    void app.sessions.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main();
