import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Builds the package as `npm run build` does, into a scratch copy, and imports every subpath
 * export by its public name, so a broken exports map or a missing declaration fails here.
 */
test("every subpath export resolves from the built package, with declarations", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tessera-package-"));
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  execFileSync(tsc, ["-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(scratch, "dist")], {
    stdio: "pipe",
  });
  copyFileSync(join(ROOT, "package.json"), join(scratch, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(scratch, "node_modules"));
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const subpaths = Object.keys(manifest.exports).filter((key) => key !== "./package.json");
  for (const subpath of subpaths) {
    const target = manifest.exports[subpath];
    assert.ok(existsSync(join(scratch, target.types)), `${subpath}: ${target.types} exists`);
  }
  const specifiers = subpaths.map((subpath) => `tessera${subpath.slice(1)}`);
  writeFileSync(
    join(scratch, "check.mjs"),
    `const names = {};\nfor (const s of ${JSON.stringify(specifiers)}) names[s] = Object.keys(await import(s)).sort();\nconsole.log(JSON.stringify(names));\n`,
  );
  const output = execFileSync(process.execPath, [join(scratch, "check.mjs")], { cwd: scratch });
  const exported = JSON.parse(output.toString()) as Record<string, string[]>;
  assert.ok(exported.tessera?.includes("createSessions"));
  assert.ok(exported.tessera?.includes("generateSecret"));
  assert.ok(exported.tessera?.includes("Cookies"));
  assert.ok(exported.tessera?.includes("hasUserIndex"));
  assert.ok(exported["tessera/node"]?.includes("withSessions"));
  assert.ok(exported["tessera/express"]?.includes("expressSessions"));
  assert.ok(exported["tessera/fastify"]?.includes("fastifySessions"));
  assert.ok(exported["tessera/hono"]?.includes("honoSessions"));
  assert.ok(exported["tessera/fetch"]?.includes("withSessions"));
  assert.ok(exported["tessera/extend"]?.includes("RequestScope"));
  assert.ok(exported["tessera/extend"]?.includes("errorResponse"));
  assert.ok(exported["tessera/sqlite"]?.includes("sqliteStore"));
  assert.ok(exported["tessera/memory"]?.includes("memoryStore"));
  assert.ok(exported["tessera/redis"]?.includes("redisStore"));
  assert.ok(exported["tessera/postgres"]?.includes("postgresStore"));
  assert.ok(exported["tessera/postgres"]?.includes("postgresTableDdl"));
  assert.ok(exported["tessera/express-session-store"]?.includes("fromExpressSessionStore"));
  assert.ok(exported["tessera/testing"]?.includes("runStoreConformance"));
  for (const source of ["expressSession", "fastifySession", "cookieSession", "ironSession"]) {
    assert.ok(exported["tessera/migrate"]?.includes(source), `tessera/migrate exports ${source}`);
  }

  const secret = execFileSync(process.execPath, [
    join(scratch, "dist", "cli", "main.js"),
    "secret",
  ]);
  assert.equal(Buffer.from(secret.toString().trim(), "base64url").length, 32);
});

/**
 * The root entry is what an application needs: no store (so no node:sqlite, no Redis client),
 * no framework, and none of the engine's internals, which live in tessera/extend.
 */
test("import 'tessera' loads no store and exports no internals", () => {
  const script = `
    const names = Object.keys(await import("tessera")).sort();
    const loaded = process.moduleLoadList.filter((name) => /sqlite|redis|postgres|\bpg\b/i.test(name));
    console.log(JSON.stringify({ names, loaded }));
  `;
  const output = execFileSync(
    process.execPath,
    ["--conditions=tessera-source", "--input-type=module", "-e", script],
    { cwd: ROOT },
  );
  const { names, loaded } = JSON.parse(output.toString()) as { names: string[]; loaded: string[] };
  assert.deepEqual(loaded, [], "no store module of Node's is loaded");
  for (const internal of [
    "RequestScope",
    "errorResponse",
    "serializeDeletion",
    "sqliteStore",
    "memoryStore",
    "Keyring",
  ]) {
    assert.ok(!names.includes(internal), `${internal} is not in the root entry`);
  }
  assert.ok(names.length <= 20, `a small root entry: ${names.join(", ")}`);
});

test("a bad configuration opens no database file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-badconfig-"));
  const script = `
    const { createSessions } = await import(${JSON.stringify(join(ROOT, "src", "index.ts"))});
    try { createSessions({ secret: "too short" }); } catch (error) { console.log(error.code); }
  `;
  const output = execFileSync(
    process.execPath,
    ["--conditions=tessera-source", "--input-type=module", "-e", script],
    { cwd: dir },
  );
  assert.equal(output.toString().trim(), "TESSERA_CONFIG");
  assert.equal(existsSync(join(dir, "data")), false, "no data/sessions.db was created");
});
