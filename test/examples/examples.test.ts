/**
 * Each example app (npm run example:express, example:fastify, example:hono) started as a user
 * starts it, on the PORT it is given, and driven through the login flow.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CookieClient } from "../support/client.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<
  string,
  string
>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs `npm run <script>`'s command with node, and waits for the line saying it listens. */
async function start(script: string, port: number): Promise<ChildProcess> {
  const [, ...args] = (scripts[script] ?? "").split(" ");
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      PORT: String(port),
      SESSIONS_DB: join(mkdtempSync(join(tmpdir(), "tessera-example-")), "sessions.db"),
    },
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 45_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.includes(`http://127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}

for (const script of ["example:express", "example:fastify", "example:hono"]) {
  test(`${script}: log in, see who is logged in, log out`, async () => {
    const port = await freePort();
    const child = await start(script, port);
    try {
      const client = new CookieClient(`http://127.0.0.1:${port}`);
      const anonymous = await client.get("/api/me");
      assert.equal(anonymous.status, 401);
      assert.equal(typeof anonymous.json().error, "string");
      assert.equal((await client.post("/login", "username=")).status, 400, "no username");

      const login = await client.post("/login", "username=ada");
      assert.equal(login.status, 303);
      assert.equal(login.headers.get("location"), "/");
      assert.match(login.setCookies.join("\n"), /session=.*HttpOnly.*SameSite=Lax/);
      const me = await client.get("/api/me");
      assert.equal(me.status, 200);
      assert.deepEqual(me.json(), { username: "ada" });
      assert.match((await client.get("/")).text, /Hello, ada/);

      const loggedIn = `session=${client.jar.get("session")}`;
      assert.equal((await client.post("/logout")).status, 303);
      assert.equal((await client.get("/api/me")).status, 401);
      const replayed = await client.get("/api/me", { cookie: loggedIn });
      assert.equal(replayed.status, 401, "the logged-out cookie is dead");
    } finally {
      child.kill("SIGTERM");
    }
  });
}
