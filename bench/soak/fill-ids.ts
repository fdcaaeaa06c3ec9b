/**
 * The ids of the sessions the fill phase writes, shared by the server (which writes them) and
 * the parent (which signs cookies for them to read them back). Derived from the index, so a
 * million of them need not be kept anywhere, and spread like random ids (a hash), so they land
 * all over the store's index as real sessions do, not in one ordered run.
 */
import { createHash } from "node:crypto";

export function fillId(index: number): string {
  // 32 bytes of SHA-256 in base64url: 43 characters, the shape of the engine's own ids.
  return createHash("sha256").update(`soak-fill-${index}`).digest("base64url");
}

export function fillUsername(index: number): string {
  return `fill-${index}`;
}
