import type { ResolvedOptions } from "./options.ts";

type Lifetimes = Pick<ResolvedOptions, "lifetimeMs" | "absoluteLifetimeMs">;

/** When a record written or touched now expires: idle lifetime, capped by the absolute one. */
export function expiryFrom(now: number, createdAt: number, lifetimes: Lifetimes): number {
  const idle = now + lifetimes.lifetimeMs;
  return lifetimes.absoluteLifetimeMs === undefined
    ? idle
    : Math.min(idle, createdAt + lifetimes.absoluteLifetimeMs);
}

/** Whether a loaded record may still be used: within both lifetimes. */
export function isAlive(
  record: { createdAt: number; expiresAt: number },
  now: number,
  lifetimes: Lifetimes,
): boolean {
  if (record.expiresAt <= now) return false;
  return (
    lifetimes.absoluteLifetimeMs === undefined ||
    record.createdAt + lifetimes.absoluteLifetimeMs > now
  );
}
