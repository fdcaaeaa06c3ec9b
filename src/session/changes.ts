import type { SessionPatch } from "../stores/contract.ts";

/**
 * What one request did to a session, key by key, so the store can apply just that on top of
 * whatever concurrent requests wrote meanwhile (a whole-record rewrite would lose their keys).
 */
export class ChangeSet implements SessionPatch {
  clear = false;
  readonly set = new Map<string, unknown>();
  readonly delete = new Set<string>();

  get isEmpty(): boolean {
    return !this.clear && this.set.size === 0 && this.delete.size === 0;
  }

  recordSet(key: string, value: unknown): void {
    this.delete.delete(key);
    this.set.set(key, value);
  }

  recordDelete(key: string): void {
    this.set.delete(key);
    // After a clear every stored key is already gone; naming it again would be noise.
    if (!this.clear) this.delete.add(key);
  }

  recordClear(): void {
    this.clear = true;
    this.set.clear();
    this.delete.clear();
  }
}
