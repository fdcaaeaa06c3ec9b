/**
 * Cloudflare's workerd (from npm, through Miniflare, nodejs_compat): the cookie-session suite
 * (formats "flask" and "sealed") through Hono and a bare fetch handler, and the startup error a
 * configuration gets when it needs what workerd does not have.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCookieSessionSuite } from "../behaviour/cookie-suite.ts";
import { startWorker, workerdHarness } from "./workerd.ts";

for (const server of ["Hono", "fetch handler"]) runCookieSessionSuite(workerdHarness(server));

test("sessions in the embedded SQLite store on workerd: a startup error naming node:sqlite and what to use", async () => {
  const worker = await startWorker("Hono", {
    options: { secret: "workerd-startup-secret-0123456789abcdef" },
  });
  try {
    const response = await fetch(new URL("/data", worker.url));
    const text = await response.text();
    assert.equal(response.status, 500);
    assert.match(text, /ConfigError/);
    assert.match(text, /node:sqlite and a file system/);
    assert.match(text, /Cloudflare Workers/);
    assert.match(text, /format "flask" or "sealed"/);
  } finally {
    await worker.close();
  }
});
