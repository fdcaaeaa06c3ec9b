/**
 * The sealed plaintext: JSON `{"e":<expiry, Unix seconds>,"c":<creation, Unix seconds>,"d":<session
 * data>}` ("c" optional). The times are inside the encryption, so they are authenticated with the
 * data: neither the expiry nor the absolute lifetime can be extended by the client.
 */

import { SessionValueError } from "../../errors.ts";
import { MAX_NESTING, nestsDeeperThan, tooDeepMessage } from "../nesting.ts";

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type SealedSessionData = { readonly [key: string]: JsonValue };

export interface Payload {
  readonly expiresAtSeconds: number;
  /** When the session began, if the sealer said. */
  readonly createdAtSeconds: number | undefined;
  readonly data: SealedSessionData;
}

/** The plaintext for `data`; a SessionValueError naming the path for a value JSON would not keep. */
export function encodePayload(
  data: SealedSessionData,
  expiresAtSeconds: number,
  createdAtSeconds?: number,
): string {
  if (!isPlainObject(data)) {
    throw new SessionValueError(
      `Sealed session data must be a plain object; got ${describe(data)}.`,
    );
  }
  // The data object is the plaintext's second level: `{"e":…,"d":{…}}`.
  checkJson(data, [], new Set(), 2);
  return createdAtSeconds === undefined
    ? JSON.stringify({ e: expiresAtSeconds, d: data })
    : JSON.stringify({ e: expiresAtSeconds, c: createdAtSeconds, d: data });
}

/**
 * The payload in a plaintext, or undefined when it is not one (never throws). A payload nested
 * deeper than tessera writes is "too-deep": it opened, but could never be sealed again.
 */
export function decodePayload(plaintext: string): Payload | "too-deep" | undefined {
  if (nestsDeeperThan(plaintext)) return "too-deep";
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  const hasCreated = Object.hasOwn(parsed, "c");
  const keys = Object.keys(parsed);
  if (
    keys.length !== (hasCreated ? 3 : 2) ||
    !Object.hasOwn(parsed, "e") ||
    !Object.hasOwn(parsed, "d")
  ) {
    return undefined;
  }
  const { e, c, d } = parsed as { e: unknown; c: unknown; d: unknown };
  if (typeof e !== "number" || !Number.isSafeInteger(e) || !isPlainObject(d)) return undefined;
  if (hasCreated && (typeof c !== "number" || !Number.isSafeInteger(c))) return undefined;
  return {
    expiresAtSeconds: e,
    createdAtSeconds: hasCreated ? (c as number) : undefined,
    data: d as SealedSessionData,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Where the value being checked is: the keys and array indexes from the data. Spelt out
 * (`data["a"][1]`) only for an error's message.
 */
type Where = Array<string | number>;

function spell(where: Where): string {
  let path = "data";
  for (const step of where) {
    path += typeof step === "number" ? `[${step}]` : `[${JSON.stringify(step)}]`;
  }
  return path;
}

/**
 * Checks `value`, whose own brackets (if any) are `depth` levels deep in the plaintext.
 * `ancestors` are the objects it is inside, for cycles.
 */
function checkJson(value: unknown, where: Where, ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (Number.isFinite(value)) return;
      throw new SessionValueError(
        `Sealed session data at ${spell(where)} is ${value}, which JSON cannot hold.`,
      );
    case "object": {
      if (value === null) return;
      if (depth > MAX_NESTING)
        throw new SessionValueError(tooDeepMessage(`Sealed session data at ${spell(where)}`));
      if (ancestors.has(value)) {
        throw new SessionValueError(
          `Sealed session data at ${spell(where)} refers back to itself (a cycle).`,
        );
      }
      ancestors.add(value);
      if (Array.isArray(value)) {
        // As forEach: the length read once, a hole skipped (JSON.stringify writes it as null).
        const length = value.length;
        for (let index = 0; index < length; index++) {
          if (!(index in value)) continue;
          where.push(index);
          checkJson(value[index], where, ancestors, depth + 1);
          where.pop();
        }
      } else if (isPlainObject(value)) {
        for (const [key, item] of Object.entries(value)) {
          where.push(key);
          checkJson(item, where, ancestors, depth + 1);
          where.pop();
        }
      } else {
        throw new SessionValueError(
          `Sealed session data at ${spell(where)} is ${describe(value)}; only JSON values (plain objects, arrays, strings, finite numbers, booleans, null) are kept. Convert it first (a Date with toISOString(), for example).`,
        );
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new SessionValueError(
        `Sealed session data at ${spell(where)} is ${describe(value)}, which JSON cannot hold.`,
      );
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object")
    return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
  if (Array.isArray(value)) return "an array";
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name;
  return typeof name === "string" && name !== "" ? `a ${name}` : "an object";
}
