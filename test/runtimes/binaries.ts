/**
 * Where npm put the Bun and Deno binaries. Their postinstall scripts move the platform package's
 * binary into place; where those scripts did not run, `.bin/bun` is a placeholder that exits 1
 * and `.bin/deno` a Node wrapper (killing it would leave Deno running), so both are looked up
 * in their packages directly. Nothing is downloaded: `npm ci` brought them.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MODULES = fileURLToPath(new URL("../../node_modules/", import.meta.url));

function platformSuffix(): string {
  const arch = process.arch === "arm64" ? "aarch64" : "x64";
  return `${process.platform}-${arch}`;
}

/** A real executable (over 1 KiB: not a placeholder script), or undefined. */
function real(path: string): string | undefined {
  return existsSync(path) && statSync(path).size > 1024 ? path : undefined;
}

export function bunBinary(): string {
  const found =
    real(join(MODULES, "bun", "bin", "bun.exe")) ??
    real(
      join(MODULES, "@oven", `bun-${platformSuffix().replace("aarch64", "aarch64")}`, "bin", "bun"),
    );
  if (found === undefined) throw new Error(`Bun is not in ${MODULES}: run npm ci`);
  return found;
}

export function denoBinary(): string {
  const found =
    real(join(MODULES, "deno", "deno")) ??
    real(join(MODULES, "@deno", `${platformSuffix()}-glibc`, "deno")) ??
    real(join(MODULES, "@deno", platformSuffix(), "deno"));
  if (found === undefined) throw new Error(`Deno is not in ${MODULES}: run npm ci`);
  return found;
}
