import { execFileSync } from "node:child_process";

/**
 * Debian's chromium, driven by playwright-core (never a browser playwright downloads), with the
 * flags that keep it quiet and on loopback.
 */

export const CHROMIUM_SKIP_REASON =
  "chromium is not installed: .ci/run installs it (apt-get install chromium); on a dev machine run apt-get install -y chromium";

function findChromium(): string | undefined {
  try {
    const path = execFileSync("/bin/sh", ["-c", "command -v chromium"], { encoding: "utf8" });
    return path.trim() || undefined;
  } catch {
    return undefined;
  }
}

export const CHROMIUM = findChromium();

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];
