/**
 * zlib (RFC 1950) around one fixed-Huffman deflate block (RFC 1951 §3.2.6), with greedy LZ77
 * matching: for the few hundred bytes of a session cookie's JSON, zlib itself picks a fixed
 * block too, and building node:zlib's native stream costs more than the whole rest of a cookie
 * write (about 8 µs of a 20 µs write, measured). Larger payloads go to node:zlib, whose dynamic
 * Huffman codes make the most of the 4096 bytes a cookie has.
 *
 * Any inflater reads the result (Python's zlib, which Flask uses, and node:zlib are tested);
 * the bytes differ from zlib's own, as Node's zlib already differs from Python's.
 */

import { ArgumentError } from "../../errors.ts";

/** Longest input compressed here; larger ones go to node:zlib. */
export const SMALL_DEFLATE_LIMIT = 1_024;

const MIN_MATCH = 3;
const MAX_MATCH = 258;
const HASH_BITS = 10;
const HASH_SIZE = 1 << HASH_BITS;

/** Match length 3..258 → length code 257..285, its base and extra bits (RFC 1951 §3.2.5). */
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
];
const LENGTH_EXTRA = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/** Distance 1..32768 → distance code 0..29, its base and extra bits. */
const DISTANCE_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];

const HEAD = new Int32Array(HASH_SIZE);
const PREVIOUS = new Int32Array(SMALL_DEFLATE_LIMIT);
/** 9 bits per literal at worst, plus the header, the block's bits, its end and the checksum. */
const OUTPUT = new Uint8Array(2 + Math.ceil((SMALL_DEFLATE_LIMIT * 9 + 10) / 8) + 1 + 4);

/** Writes bits least significant first, as deflate packs them. */
class BitWriter {
  readonly bytes: Uint8Array;
  length = 0;
  #buffer = 0;
  #count = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  bits(value: number, count: number): void {
    this.#buffer |= value << this.#count;
    this.#count += count;
    while (this.#count >= 8) {
      this.bytes[this.length++] = this.#buffer & 0xff;
      this.#buffer >>>= 8;
      this.#count -= 8;
    }
  }

  flush(): void {
    if (this.#count > 0) this.bytes[this.length++] = this.#buffer & 0xff;
    this.#buffer = 0;
    this.#count = 0;
  }
}

/** Reverses a Huffman code's bits: deflate sends codes most significant bit first. */
function reversed(code: number, count: number): number {
  let result = 0;
  for (let index = 0; index < count; index++) result = (result << 1) | ((code >>> index) & 1);
  return result;
}

/** The fixed literal/length codes (RFC 1951 §3.2.6), bit-reversed, and their lengths. */
const LITERAL_CODES = new Uint16Array(288);
const LITERAL_LENGTHS = new Uint8Array(288);
for (let symbol = 0; symbol < 288; symbol++) {
  const [code, count] =
    symbol < 144
      ? [0x30 + symbol, 8]
      : symbol < 256
        ? [0x190 + symbol - 144, 9]
        : symbol < 280
          ? [symbol - 256, 7]
          : [0xc0 + symbol - 280, 8];
  LITERAL_CODES[symbol] = reversed(code, count);
  LITERAL_LENGTHS[symbol] = count;
}
/** The fixed distance codes: five bits each, bit-reversed. */
const DISTANCE_CODES = Uint8Array.from({ length: 30 }, (_, code) => reversed(code, 5));

function writeLiteralOrLength(out: BitWriter, symbol: number): void {
  out.bits(LITERAL_CODES[symbol] as number, LITERAL_LENGTHS[symbol] as number);
}

function writeMatch(out: BitWriter, length: number, distance: number): void {
  let lengthCode = LENGTH_BASE.length - 1;
  while ((LENGTH_BASE[lengthCode] as number) > length) lengthCode--;
  writeLiteralOrLength(out, 257 + lengthCode);
  const lengthExtra = LENGTH_EXTRA[lengthCode] as number;
  if (lengthExtra > 0) out.bits(length - (LENGTH_BASE[lengthCode] as number), lengthExtra);
  let distanceCode = DISTANCE_BASE.length - 1;
  while ((DISTANCE_BASE[distanceCode] as number) > distance) distanceCode--;
  out.bits(DISTANCE_CODES[distanceCode] as number, 5);
  const distanceExtra = DISTANCE_EXTRA[distanceCode] as number;
  if (distanceExtra > 0) {
    out.bits(distance - (DISTANCE_BASE[distanceCode] as number), distanceExtra);
  }
}

function adler32(input: Uint8Array): number {
  // Inputs are at most 1 KiB, so the sums stay exact in a double without a modulo per byte.
  let a = 1;
  let b = 0;
  for (let index = 0; index < input.length; index++) {
    a += input[index] as number;
    b += a;
  }
  return (((b % 65521) << 16) | (a % 65521)) >>> 0;
}

function hashAt(input: Uint8Array, at: number): number {
  const value =
    ((input[at] as number) << 16) | ((input[at + 1] as number) << 8) | (input[at + 2] as number);
  return (Math.imul(value, 0x9e3779b1) >>> (32 - HASH_BITS)) & (HASH_SIZE - 1);
}

/**
 * zlib's `compress(input)` for an input of at most SMALL_DEFLATE_LIMIT bytes: valid zlib data
 * that any inflater reads back as `input`.
 */
export function smallDeflate(input: Uint8Array): Buffer {
  if (input.length > SMALL_DEFLATE_LIMIT) {
    throw new ArgumentError(`smallDeflate takes at most ${SMALL_DEFLATE_LIMIT} bytes.`);
  }
  const out = new BitWriter(OUTPUT);
  out.bytes[0] = 0x78; // deflate, 32 KiB window
  out.bytes[1] = 0x9c; // default level, no dictionary; (0x78 * 256 + 0x9c) % 31 === 0
  out.length = 2;
  out.bits(1, 1); // BFINAL
  out.bits(1, 2); // BTYPE 01: fixed Huffman codes
  // Shared scratch tables (the function runs to completion, so no two calls overlap).
  const head = HEAD.fill(-1);
  const previous = PREVIOUS;
  let at = 0;
  while (at < input.length) {
    let bestLength = 0;
    let bestDistance = 0;
    if (at + MIN_MATCH <= input.length) {
      const hash = hashAt(input, at);
      const limit = Math.min(MAX_MATCH, input.length - at);
      // A short chain suffices: inputs are small, and a missed match only costs a few bytes.
      for (let candidate = head[hash] as number, tries = 0; candidate >= 0 && tries < 16; tries++) {
        let length = 0;
        while (length < limit && input[candidate + length] === input[at + length]) length++;
        if (length > bestLength) {
          bestLength = length;
          bestDistance = at - candidate;
          if (length === limit) break;
        }
        candidate = previous[candidate] as number;
      }
      previous[at] = head[hash] as number;
      head[hash] = at;
    }
    if (bestLength >= MIN_MATCH) {
      writeMatch(out, bestLength, bestDistance);
      // The skipped positions join the hash chains, so later matches can start inside this one.
      for (let next = at + 1; next < at + bestLength && next + MIN_MATCH <= input.length; next++) {
        const hash = hashAt(input, next);
        previous[next] = head[hash] as number;
        head[hash] = next;
      }
      at += bestLength;
    } else {
      writeLiteralOrLength(out, input[at] as number);
      at++;
    }
  }
  writeLiteralOrLength(out, 256); // end of block
  out.flush();
  const checksum = adler32(input);
  out.bytes[out.length++] = checksum >>> 24;
  out.bytes[out.length++] = (checksum >>> 16) & 0xff;
  out.bytes[out.length++] = (checksum >>> 8) & 0xff;
  out.bytes[out.length++] = checksum & 0xff;
  return Buffer.from(out.bytes.subarray(0, out.length));
}
