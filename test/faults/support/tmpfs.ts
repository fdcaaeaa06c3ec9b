/**
 * A small tmpfs, so that a test can fill the disk under an SQLite file in a moment without
 * touching the machine's real disks. Needs root (tests run as root here and on CI).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallDisk {
  readonly dir: string;
  /** Unmounts and removes the mount point; idempotent. */
  remove(): void;
}

export function mountSmallDisk(size: string): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), "tessera-faults-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], {
      stdio: "pipe",
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `mounting a ${size} tmpfs at ${dir} failed (the full-disk test needs root): ${String(error)}`,
      { cause: error },
    );
  }
  let mounted = true;
  return {
    dir,
    remove() {
      if (mounted) {
        // Lazy: a file a failed test left open must not keep the mount (or the test) alive.
        execFileSync("umount", ["-l", dir], { stdio: "pipe" });
        mounted = false;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
