/**
 * The `tessera` command as a user runs it from a clone, right after `npm install`: `npx tessera`
 * finds the package's own bin (the package links itself as a devDependency) and runs the
 * sources, with no build. README and the demo's short-key message both tell users to run it.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the tessera command from a clone", () => {
  test("npx tessera secret prints a fresh 256-bit secret", () => {
    const run = () =>
      execFileSync("npx", ["--no", "tessera", "secret"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, npm_config_update_notifier: "false" },
      }).trim();
    const [first, second] = [run(), run()];
    assert.match(first, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(first, "base64url").length, 32);
    assert.notEqual(first, second);
  });

  test("an unknown command is a usage error (exit 2) that lists the commands", () => {
    const result = spawnSync("npx", ["--no", "tessera", "no-such-command"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown command "no-such-command"/);
    assert.match(result.stderr, /tessera secret/);
  });
});
