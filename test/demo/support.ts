import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDemoApp, type DemoOptions } from "../../demo/app.ts";

export const SECRET = "a-test-secret-of-at-least-32-bytes-long!";

/** The demo app in this process on a free port, for tests that need no `npm start`. */
export async function serveDemo(
  options: Partial<DemoOptions> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createDemoApp({ secret: SECRET, store: undefined, format: "sealed", ...options });
  const server: Server = createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.sessions.close();
    },
  };
}
