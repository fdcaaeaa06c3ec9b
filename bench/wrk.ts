/** wrk, the load generator: Debian's, installed here when missing (the run is root on CI). */
import { execFileSync } from "node:child_process";

/** wrk's version line; installs wrk from Debian first when it is not on PATH. */
export function ensureWrk(log: (message: string) => void): string {
  const version = wrkVersion();
  if (version !== undefined) return version;
  log("wrk is not installed: installing Debian's (apt-get install wrk)");
  try {
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "wrk"], {
      stdio: "ignore",
    });
  } catch {
    execFileSync("apt-get", ["update"], { stdio: "ignore" });
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "wrk"], {
      stdio: "ignore",
    });
  }
  const installed = wrkVersion();
  if (installed === undefined) {
    throw new Error("wrk is not on PATH and apt-get could not install it: install wrk and rerun.");
  }
  return installed;
}

function wrkVersion(): string | undefined {
  try {
    // `wrk --version` prints its banner and usage, and exits 1.
    execFileSync("wrk", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const output = String((error as { stdout?: unknown }).stdout ?? "");
    const banner = output.split("\n")[0]?.trim();
    if (banner?.startsWith("wrk ")) return banner.replace(/ Copyright.*$/, "");
    return undefined;
  }
  return undefined;
}
