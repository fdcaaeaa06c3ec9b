/**
 * User ids for the stores' per-user indexes. An application may keep the id as a string or a
 * number; either way the index is keyed by its text, so `revokeUser(42)` and `revokeUser("42")`
 * end the same sessions, on every store.
 */
import { ArgumentError } from "../errors.ts";
import type { UserId } from "./contract.ts";

/** The id's text, or undefined for a value that is not a user id (empty, NaN, an object). */
export function userIdOf(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The id's text; an ArgumentError for a value that cannot be a user id. */
export function requireUserId(user: UserId): string {
  const canonical = userIdOf(user);
  if (canonical === undefined) {
    throw new ArgumentError(
      `a user id is a non-empty string or a finite number; got ${JSON.stringify(user) ?? String(user)}.`,
    );
  }
  return canonical;
}
