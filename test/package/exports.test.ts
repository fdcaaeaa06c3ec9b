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
  assert.ok(exported.tessera?.includes("sqliteStore"));
  assert.ok(exported["tessera/node"]?.includes("withSessions"));
  assert.ok(exported["tessera/sqlite"]?.includes("sqliteStore"));
  assert.ok(exported["tessera/memory"]?.includes("memoryStore"));
  assert.ok(exported["tessera/redis"]?.includes("redisStore"));
  assert.ok(exported["tessera/testing"]?.includes("runStoreConformance"));

  const secret = execFileSync(process.execPath, [
    join(scratch, "dist", "cli", "main.js"),
    "secret",
  ]);
  assert.equal(Buffer.from(secret.toString().trim(), "base64url").length, 32);
});
