import { inflateSync } from "node:zlib";
import { nestsDeeperThan } from "../nesting.ts";
import { base64Decode, base64Encode } from "./base64.ts";
import { zlibDeflateIfShorter } from "./deflate.ts";
import { TimestampSigner, type TimestampSignerOptions } from "./signer.ts";
import { dumpTaggedJson, type FlaskValue, isPlainJson, parseTaggedJson } from "./tagged-json.ts";

/** The most a compressed payload may inflate to: far above any cookie, far below a zip bomb. */
const MAX_INFLATED_BYTES = 1 << 20;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface Loaded {
  readonly value: FlaskValue;
  /** When it was signed, Unix seconds. */
  readonly timestamp: number;
  /** An older secret verified it: re-issue with the newest. */
  readonly rotated: boolean;
}

export interface OpenedText {
  /** The payload's JSON, verified. */
  readonly text: string;
  /** Plain JSON.parse reads it exactly (no tag, big integer or integral float in it). */
  readonly plain: boolean;
  /**
   * Nested deeper than tessera can write back (MAX_NESTING): signed, but not a session to
   * accept, for its next refresh could not be written.
   */
  readonly tooDeep: boolean;
  /** When it was signed, Unix seconds. */
  readonly timestamp: number;
  readonly rotated: boolean;
}

/**
 * itsdangerous's `URLSafeTimedSerializer` with Flask's tagged JSON as the inner serializer
 * (url_safe.py, timed.py, serializer.py): JSON → zlib when that saves at least 2 bytes (then a
 * leading `.`) → base64 → `payload.timestamp.signature`.
 */
export class URLSafeTimedSerializer {
  readonly #signer: TimestampSigner;

  constructor(options: TimestampSignerOptions) {
    this.#signer = new TimestampSigner(options);
  }

  /** `dumps(obj)`; `timestamp` (Unix seconds) defaults to the clock. Throws on unstorable data. */
  dumps(value: FlaskValue, timestamp?: number): string {
    return this.#signer.sign(dumpPayload(value), timestamp);
  }

  /**
   * `loads(s, max_age)`, but never throws: undefined for a bad signature, an expired or future
   * timestamp, bad base64, bad zlib, bad UTF-8, bad JSON, a malformed tag, or nesting deeper
   * than tessera writes (MAX_NESTING).
   */
  loads(signed: string, maxAgeSeconds?: number): Loaded | undefined {
    const unsigned = this.#signer.unsign(signed, maxAgeSeconds);
    if (unsigned === undefined) return undefined;
    const value = loadPayload(unsigned.value);
    if (value === undefined) return undefined;
    return { value: value.value, timestamp: unsigned.timestamp, rotated: unsigned.rotated };
  }

  /**
   * The verified JSON text of `signed`, when it was signed and whether by an older key; the age
   * is not checked. Undefined for a bad signature or payload. For callers that cache by value.
   */
  openText(signed: string): OpenedText | undefined {
    const unsigned = this.#signer.unsign(signed);
    if (unsigned === undefined) return undefined;
    const text = payloadText(unsigned.value);
    if (text === undefined) return undefined;
    return {
      text,
      plain: isPlainJson(text),
      tooDeep: nestsDeeperThan(text),
      timestamp: unsigned.timestamp,
      rotated: unsigned.rotated,
    };
  }
}

/** `URLSafeSerializerMixin.dump_payload`. */
export function dumpPayload(value: FlaskValue): string {
  const json = Buffer.from(dumpTaggedJson(value), "utf8");
  // Python's zlib.compress, byte for byte: the same cookie as Flask's, compressed or not.
  // itsdangerous keeps it when `len(compressed) < len(json) - 1`: at most 2 bytes shorter.
  const compressed = zlibDeflateIfShorter(json, json.length - 2);
  return compressed !== undefined ? `.${base64Encode(compressed)}` : base64Encode(json);
}

/** `URLSafeSerializerMixin.load_payload`, undefined instead of `BadPayload`. */
export function loadPayload(payload: string): { value: FlaskValue } | undefined {
  const text = payloadText(payload);
  if (text === undefined || nestsDeeperThan(text)) return undefined;
  try {
    return { value: parseTaggedJson(text) };
  } catch {
    return undefined;
  }
}

/** The JSON text inside a payload (base64, inflated when it starts with "."), or undefined. */
export function payloadText(payload: string): string | undefined {
  const compressed = payload.startsWith(".");
  let bytes = base64Decode(compressed ? payload.slice(1) : payload);
  if (bytes === undefined) return undefined;
  try {
    if (compressed) bytes = inflateSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
