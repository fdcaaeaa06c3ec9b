import { randomBytes } from "node:crypto";

/**
 * Random bytes handed out from a pooled buffer: one `randomBytes` call (about 5 µs whatever
 * its size up to a few KB: a native job and a Buffer each) serves many draws, as session ids
 * do (session-id.ts). Every byte is handed out once: the pool is read forward and refilled,
 * never rewound, so two draws never share a byte; what was handed out is zeroed in the pool.
 * The randomness of a draw is that of `randomBytes` itself.
 */
export class RandomPool {
  readonly #size: number;
  #pool: Buffer = Buffer.alloc(0);
  #offset = 0;

  /** `size`: how many bytes one refill draws. */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`bad pool size ${size}`);
    this.#size = size;
  }

  /** `length` random bytes not handed out before, in a Buffer of their own. */
  take(length: number): Buffer {
    if (length > this.#size) return randomBytes(length);
    if (this.#offset + length > this.#pool.length) {
      this.#pool = randomBytes(this.#size);
      this.#offset = 0;
    }
    const start = this.#offset;
    this.#offset = start + length;
    const bytes = Buffer.allocUnsafe(length);
    this.#pool.copy(bytes, 0, start, start + length);
    this.#pool.fill(0, start, start + length);
    return bytes;
  }
}
