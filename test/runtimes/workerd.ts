/**
 * Serves the worker in test/runtimes/worker.ts in workerd, through Miniflare, with nodejs_compat:
 * bundled once by esbuild, then one Miniflare instance (one workerd process) per server.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { type AdapterHarness, PROBE_PATH } from "../behaviour/app.ts";
import type { ServeConfig } from "../behaviour/fixture.ts";

/** A date the workerd from npm supports, past Node-style timers (2026-02-10). */
export const COMPATIBILITY_DATE = "2026-03-01";

let bundle: Promise<string> | undefined;

function workerScript(): Promise<string> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["node:*"],
    logLevel: "silent",
  }).then((result) => result.outputFiles[0]?.text ?? "");
  return bundle;
}

/** Starts the worker serving `server` ("Hono" or "fetch handler") with `config`. */
export async function startWorker(server: string, config: ServeConfig) {
  const mf = new Miniflare({
    modules: true,
    script: await workerScript(),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: ["nodejs_compat"],
    bindings: { CONFIG: JSON.stringify(config), SERVER: server },
    // No request for Cloudflare's cf.json: the tests stay on loopback.
    cf: false,
    host: "127.0.0.1",
    port: 0,
  });
  const url = (await mf.ready).origin;
  return { url, close: () => mf.dispose() };
}

export function workerdHarness(server: string): AdapterHarness {
  return {
    name: `${server} on workerd`,
    sqlite: false,
    async serve(config) {
      if (config.store !== undefined) {
        throw new Error("workerd runs cookie sessions only here (see README)");
      }
      const worker = await startWorker(server, config);
      return {
        url: worker.url,
        store: undefined,
        errorsLogged: async () => {
          const response = await fetch(new URL(PROBE_PATH, worker.url), { method: "POST" });
          return ((await response.json()) as { result: string[] }).result;
        },
        close: worker.close,
      };
    },
  };
}
