/**
 * Hostile Cookie headers, as an attacker or a broken client sends them. None may be answered
 * with a 5xx, and none may log anyone in: a 2xx to one is a forgery accepted.
 *
 * - forged: a well-formed id with a signature made up;
 * - mutated: the user's own valid cookie with one character changed (id or signature);
 * - truncated: the user's own valid cookie cut short;
 * - garbage: random printable and Latin-1 bytes, separators and quotes included;
 * - huge: one value of 6 KB (under node:http's 16 KB header limit, so the engine parses it),
 *   or 20 KB (over it: node:http answers 431 itself);
 * - many-forged: 150 same-name cookies with made-up signatures;
 * - many-dead: 60 same-name cookies validly signed (with the app's secret, as a leaked or
 *   replayed cookie would be) for ids the store never held: each may cost a store lookup.
 */
import { randomBytes, randomInt } from "node:crypto";
import { Keyring } from "../../src/crypto/keyring.ts";
import { type IdSigner, tesseraIdSigner } from "../../src/transport/id-signers.ts";
import { SESSION_COOKIE } from "./client.ts";

export const HOSTILE_KINDS = [
  "forged",
  "mutated",
  "truncated",
  "garbage",
  "huge",
  "oversized",
  "many-forged",
  "many-dead",
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function fakeId(): string {
  return randomBytes(32).toString("base64url");
}

/** The app's own id signer, so "signed but dead" cookies are exactly what the app would issue. */
export function idSigner(secret: string): IdSigner {
  return tesseraIdSigner(new Keyring(secret));
}

function mutate(value: string): string {
  const at = randomInt(value.length);
  const current = value[at] ?? "A";
  let replacement = current;
  while (replacement === current) replacement = BASE64URL[randomInt(BASE64URL.length)] ?? "A";
  return value.slice(0, at) + replacement + value.slice(at + 1);
}

function garbage(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    // 0x20–0x7e and 0x80–0xff: everything node:http lets a header value carry.
    const code = randomInt(2) === 0 ? randomInt(0x20, 0x7f) : randomInt(0x80, 0x100);
    out += String.fromCharCode(code);
  }
  return out;
}

function repeated(count: number, value: () => string): string {
  return Array.from({ length: count }, () => `${SESSION_COOKIE}=${value()}`).join("; ");
}

/** A Cookie header of this kind; `own` is the user's valid session cookie value. */
export function hostileCookie(kind: HostileKind, own: string, signer: IdSigner): string {
  switch (kind) {
    case "forged":
      return `${SESSION_COOKIE}=${fakeId()}.${fakeId()}`;
    case "mutated":
      return `${SESSION_COOKIE}=${mutate(own)}`;
    case "truncated":
      return `${SESSION_COOKIE}=${own.slice(0, randomInt(own.length))}`;
    case "garbage":
      return randomInt(2) === 0
        ? `${SESSION_COOKIE}=${garbage(randomInt(1, 200))}`
        : garbage(randomInt(1, 400));
    case "huge":
      return `${SESSION_COOKIE}=${"A".repeat(6_000)}.${fakeId()}`;
    case "oversized":
      return `${SESSION_COOKIE}=${"x".repeat(20_000)}`;
    case "many-forged":
      return repeated(150, () => `${fakeId()}.${fakeId()}`);
    case "many-dead":
      return repeated(60, () => {
        const id = fakeId();
        return `${id}.${signer.sign(id)}`;
      });
  }
}
