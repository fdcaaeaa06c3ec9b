/** Small builders the store tests share. */
import { randomBytes } from "node:crypto";
import type { SessionPatch } from "../../src/stores/contract.ts";

/** A patch setting `data`'s keys, deleting `deleted`, after clearing everything when `clear`. */
export function setPatch(
  data: Record<string, unknown>,
  deleted: readonly string[] = [],
  clear = false,
): SessionPatch {
  return { clear, set: new Map(Object.entries(data)), delete: new Set(deleted) };
}

/** A fresh 256-bit session id, as the engine draws them. */
export function newId(): string {
  return randomBytes(32).toString("base64url");
}

/** A key prefix no other test uses, so tests sharing one Redis never see each other's keys. */
export function uniquePrefix(): string {
  return `tessera-test:${randomBytes(6).toString("base64url")}:`;
}
