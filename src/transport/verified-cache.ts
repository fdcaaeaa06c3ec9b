/**
 * Cookie values that passed verification (a signature, or authenticated decryption), with what
 * verifying them produced. A browser sends the same cookie until it changes, and verifying costs
 * more than everything else a read does, so each value is verified once per process.
 *
 * Only a verified value gets in, and a hit requires the whole value to be equal, so a hit proves
 * what the verification proved. Entries are found by the value's last characters (its signature
 * or authentication tag) so a lookup hashes a few dozen characters rather than the whole cookie.
 * Bounded: the oldest entry goes first, and long values (rare, up to 4 KB) are not kept.
 */
export class VerifiedCache<T> {
  readonly #entries = new Map<string, { readonly value: string; readonly result: T }>();
  readonly #size: number;

  constructor(size = 2_048) {
    this.#size = size;
  }

  get(value: string): T | undefined {
    const entry = this.#entries.get(tail(value));
    return entry !== undefined && entry.value === value ? entry.result : undefined;
  }

  /** Remembers what verifying `value` produced; call it only after verification succeeded. */
  remember(value: string, result: T): void {
    if (value.length > MAX_KEPT_LENGTH) return;
    if (this.#entries.size >= this.#size) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(tail(value), { value, result });
  }
}

/** Values longer than this are verified every time rather than kept. */
const MAX_KEPT_LENGTH = 1_024;
/** A Flask signature is 27 characters, a GCM tag 22: either is inside the last 24 or more. */
const TAIL_LENGTH = 24;

function tail(value: string): string {
  return value.length <= TAIL_LENGTH ? value : value.slice(-TAIL_LENGTH);
}
