/**
 * zlib's `compress(data)` at its default level, reproduced byte for byte: the output equals
 * Python's `zlib.compress(data)` (zlib 1.2.13, level 6, 32 KiB window, memLevel 8, default
 * strategy), which is what Flask writes into its session cookies. Node's bundled zlib is a
 * different fork and often a few bytes longer; a greedy fixed-code deflate is longer still.
 *
 * The algorithm is zlib's `deflate_slow` (lazy matching over hash chains) followed by its
 * `trees.c` (a Huffman tree per block, then the cheapest of a stored, a fixed-code or a
 * dynamic-code block). Every tie-break below matters: a different choice still inflates to the
 * same bytes but no longer equals zlib's output.
 *
 * Single-shot and synchronous: the tables are module-level and reused, so no two calls may
 * overlap (JavaScript runs one to completion before the next). Any input length is accepted.
 * zlib keeps a 64 KiB window that it slides by 32 KiB; here the whole input is addressed
 * directly and the slides are only bookkept, since they still decide two things: which hash
 * entries count as empty, and whether a block may be stored (see fill_window in zlibDeflate).
 */

/** Window: distances reach back at most 32 KiB; zlib's buffer holds two of them. */
const W_SIZE = 32_768;
const W_MASK = W_SIZE - 1;
const WINDOW_SIZE = 2 * W_SIZE;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
/** zlib refills its window when fewer bytes than this are ahead: a longest match plus one hash. */
const MIN_LOOKAHEAD = MAX_MATCH + MIN_MATCH + 1;
/** zlib keeps MIN_LOOKAHEAD bytes ahead in its window, so it never looks back further than this. */
const MAX_DIST = W_SIZE - MIN_LOOKAHEAD;

/** memLevel 8: 2^15 hash buckets, each new byte shifted in by 5 bits (3 bytes fill 15 bits). */
const HASH_BITS = 15;
const HASH_MASK = (1 << HASH_BITS) - 1;
const HASH_SHIFT = 5;

/** Level 6 of zlib's configuration table. */
const GOOD_LENGTH = 8; // with a previous match this long, search a quarter of the chain
const MAX_LAZY = 16; // with a previous match this long, do not look for a better one
const NICE_LENGTH = 128; // stop searching at a match this long
const MAX_CHAIN = 128; // follow at most this many chain links
/** A 3-byte match further back than this costs more bits than three literals usually do. */
const TOO_FAR = 4_096;

/**
 * memLevel 8 gives a 16 Ki-entry symbol buffer; since zlib 1.2.12 a block ends when it holds
 * one symbol fewer than that (its storage shares the pending-output buffer).
 */
const SYMBOL_LIMIT = (1 << (8 + 6)) - 1;

const LITERALS = 256;
const END_BLOCK = 256;
const LENGTH_CODES = 29;
const L_CODES = LITERALS + 1 + LENGTH_CODES; // 286
const D_CODES = 30;
const BL_CODES = 19;
const HEAP_SIZE = 2 * L_CODES + 1;
const MAX_BITS = 15;
const MAX_BL_BITS = 7;
const REP_3_6 = 16;
const REPZ_3_10 = 17;
const REPZ_11_138 = 18;

const EXTRA_LENGTH_BITS = Uint8Array.from([
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]);
const EXTRA_DISTANCE_BITS = Uint8Array.from([
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]);
const EXTRA_BL_BITS = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7]);
/** The order in which a dynamic block header lists the code-length code lengths (RFC 1951). */
const BL_ORDER = Uint8Array.from([
  16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
]);

/** (match length − 3) → length code − 257, and each code's first (length − 3). */
const LENGTH_CODE = new Uint8Array(256);
const BASE_LENGTH = new Uint16Array(LENGTH_CODES);
/** (distance − 1) → distance code: directly below 256, by (distance − 1) >> 7 from 256 on. */
const DIST_CODE = new Uint8Array(512);
const BASE_DIST = new Uint16Array(D_CODES);
{
  let length = 0;
  let code = 0;
  for (; code < LENGTH_CODES - 1; code++) {
    BASE_LENGTH[code] = length;
    for (let n = 0; n < 1 << (EXTRA_LENGTH_BITS[code] as number); n++) LENGTH_CODE[length++] = code;
  }
  // Length 258 fits both code 284 (with 5 extra bits) and code 285 (none): zlib picks 285.
  LENGTH_CODE[255] = code;
  let dist = 0;
  for (code = 0; code < 16; code++) {
    BASE_DIST[code] = dist;
    for (let n = 0; n < 1 << (EXTRA_DISTANCE_BITS[code] as number); n++) DIST_CODE[dist++] = code;
  }
  dist >>= 7;
  for (; code < D_CODES; code++) {
    BASE_DIST[code] = dist << 7;
    for (let n = 0; n < 1 << ((EXTRA_DISTANCE_BITS[code] as number) - 7); n++) {
      DIST_CODE[256 + dist++] = code;
    }
  }
}

function distanceCode(distMinusOne: number): number {
  return (
    distMinusOne < 256 ? DIST_CODE[distMinusOne] : DIST_CODE[256 + (distMinusOne >> 7)]
  ) as number;
}

function reverseBits(code: number, length: number): number {
  let result = 0;
  for (let i = 0; i < length; i++) {
    result = (result << 1) | (code & 1);
    code >>>= 1;
  }
  return result;
}

/** Each byte with its bits in reverse order, to reverse codes of up to 16 bits quickly. */
const REVERSED_BYTE = Uint8Array.from({ length: 256 }, (_, byte) => reverseBits(byte, 8));

/** gen_codes' running code per length. */
const NEXT_CODE = new Uint16Array(MAX_BITS + 1);

/** The fixed codes of RFC 1951 §3.2.6 (lengths, and bit-reversed codes ready to send). */
const STATIC_LTREE_LEN = new Uint16Array(L_CODES + 2);
const STATIC_LTREE_CODE = new Uint16Array(L_CODES + 2);
const STATIC_DTREE_LEN = new Uint16Array(D_CODES).fill(5);
const STATIC_DTREE_CODE = Uint16Array.from({ length: D_CODES }, (_, n) => reverseBits(n, 5));
{
  const count = new Uint16Array(MAX_BITS + 1);
  for (let n = 0; n < L_CODES + 2; n++) {
    const length = n < 144 ? 8 : n < 256 ? 9 : n < 280 ? 7 : 8;
    STATIC_LTREE_LEN[n] = length;
    count[length] = (count[length] as number) + 1;
  }
  assignCodes(STATIC_LTREE_LEN, STATIC_LTREE_CODE, L_CODES + 1, count);
}

/** One Huffman tree being built: leaves 0..elems−1, internal nodes after them. */
class Tree {
  readonly freq: Int32Array;
  readonly len: Uint16Array;
  readonly dad: Uint16Array;
  readonly code: Uint16Array;
  /** Largest leaf with a non-zero frequency (after the two-leaf minimum is forced). */
  maxCode = 0;

  readonly elems: number;
  /** The fixed code lengths, to price the same symbols as a fixed-code block; none for BL. */
  readonly staticLen: Uint16Array | undefined;
  readonly extraBits: Uint8Array;
  /** The first symbol `extraBits` describes. */
  readonly extraBase: number;
  readonly maxLength: number;
  /** How many codes have each length, from assignLengths, for assignCodes. */
  readonly lengthCounts = new Uint16Array(MAX_BITS + 1);
  /** The symbols coded (zlib's two forced ones included), in increasing order, for scanTree. */
  readonly used: Int32Array;
  usedCount = 0;
  /**
   * For the literal/length tree: a bit per symbol whose frequency is not zero, set as the block
   * is parsed, so buildTree visits only those (a few dozen of 286 in a small block).
   */
  readonly usedBits: Int32Array | undefined;

  constructor(
    elems: number,
    staticLen: Uint16Array | undefined,
    extraBits: Uint8Array,
    extraBase: number,
    maxLength: number,
  ) {
    this.elems = elems;
    this.staticLen = staticLen;
    this.extraBits = extraBits;
    this.extraBase = extraBase;
    this.maxLength = maxLength;
    const size = 2 * elems + 1;
    this.freq = new Int32Array(size);
    this.len = new Uint16Array(size);
    this.dad = new Uint16Array(size);
    this.code = new Uint16Array(size);
    this.used = new Int32Array(elems);
    this.usedBits = elems === L_CODES ? new Int32Array((L_CODES + 31) >>> 5) : undefined;
  }
}

const LTREE = new Tree(L_CODES, STATIC_LTREE_LEN, EXTRA_LENGTH_BITS, LITERALS + 1, MAX_BITS);
const DTREE = new Tree(D_CODES, STATIC_DTREE_LEN, EXTRA_DISTANCE_BITS, 0, MAX_BITS);
const BLTREE = new Tree(BL_CODES, undefined, EXTRA_BL_BITS, 0, MAX_BL_BITS);

const LITERALS_USED = LTREE.usedBits as Int32Array;

/** One more of literal/length `symbol` in the block. */
function countLiteral(symbol: number): void {
  LTREE.freq[symbol] = (LTREE.freq[symbol] as number) + 1;
  LITERALS_USED[symbol >>> 5] = (LITERALS_USED[symbol >>> 5] as number) | (1 << (symbol & 31));
}

/** zlib's heap: 1-based, the least frequent at 1; sorted nodes collect from the top down. */
const HEAP = new Int32Array(HEAP_SIZE);
/**
 * The heap's order key of the node at each heap position, kept beside HEAP: frequency × 256 +
 * subtree depth (an unsigned byte, as zlib's), so one comparison orders by frequency and then
 * by depth, as zlib's `smaller` does. A block's frequencies add up to at most SYMBOL_LIMIT + 1,
 * so the key stays far within 31 bits.
 */
const HEAP_KEY = new Int32Array(HEAP_SIZE);
let heapMax = 0;
/** The current block's size in bits as a dynamic block, and as a fixed-code block. */
let optLen = 0;
let staticLen = 0;

/** Hash bucket → last position inserted, stamped (see `stamp`). */
const HEAD = new Int32Array(1 << HASH_BITS);
/** Position & W_MASK → the position inserted before it in the same bucket, stamped. */
const PREV = new Int32Array(W_SIZE);
/**
 * Positions are stored as `stamp + position`, with a stamp above every value a previous call
 * stored: an entry below the stamp is stale and reads as empty, so no table is cleared per call.
 * (zlib's empty entry is position 0, which therefore never matches; `stamp + 0` keeps that.)
 */
let stamp = 0;

/** The block's symbols: `distance << 8 | (length − 3)` for a match, the byte for a literal. */
const SYMBOLS = new Int32Array(SYMBOL_LIMIT);
let symbolCount = 0;

/** The output buffer kept between calls. */
const RETAINED_OUTPUT = 1 << 16;
let out = new Uint8Array(RETAINED_OUTPUT);
let outLength = 0;
let bitBuffer = 0;
let bitCount = 0;

/** Appends `count` ≤ 16 bits, least significant first, as deflate packs them. */
function sendBits(value: number, count: number): void {
  bitBuffer |= value << bitCount;
  bitCount += count;
  while (bitCount >= 8) {
    out[outLength++] = bitBuffer;
    bitBuffer >>>= 8;
    bitCount -= 8;
  }
}

/** Pads to a byte boundary with zero bits. */
function alignToByte(): void {
  if (bitCount > 0) out[outLength++] = bitBuffer;
  bitBuffer = 0;
  bitCount = 0;
}

function resetBlock(): void {
  LTREE.freq.fill(0, 0, L_CODES);
  DTREE.freq.fill(0, 0, D_CODES);
  BLTREE.freq.fill(0, 0, BL_CODES);
  LITERALS_USED.fill(0);
  countLiteral(END_BLOCK);
  optLen = 0;
  staticLen = 0;
  symbolCount = 0;
}

/**
 * zlib's pqdownheap. Its order (`smaller`): by frequency, then the shallower subtree first, to
 * keep codes short; equal keys are not swapped, so ties fall as they do in zlib.
 */
function siftDown(k: number, heapLen: number): void {
  const v = HEAP[k] as number;
  const vKey = HEAP_KEY[k] as number;
  let j = k << 1;
  while (j <= heapLen) {
    let jKey = HEAP_KEY[j] as number;
    if (j < heapLen) {
      const rightKey = HEAP_KEY[j + 1] as number;
      if (rightKey <= jKey) {
        j++;
        jKey = rightKey;
      }
    }
    if (vKey <= jKey) break;
    HEAP[k] = HEAP[j] as number;
    HEAP_KEY[k] = jKey;
    k = j;
    j <<= 1;
  }
  HEAP[k] = v;
  HEAP_KEY[k] = vKey;
}

/**
 * Huffman code lengths and codes for `tree`'s frequencies, as zlib's build_tree: adds the
 * block's cost in bits to optLen (and to staticLen with the fixed lengths).
 */
function buildTree(tree: Tree): void {
  const { freq, len, dad, elems, used, usedBits } = tree;
  let maxCode = -1;
  let heapLen = 0;
  heapMax = HEAP_SIZE;
  // The leaves, in increasing order (a length of 0 for every other symbol).
  len.fill(0, 0, elems);
  if (usedBits === undefined) {
    for (let n = 0; n < elems; n++) {
      const f = freq[n] as number;
      if (f === 0) continue;
      used[heapLen] = n;
      HEAP[++heapLen] = maxCode = n;
      HEAP_KEY[heapLen] = f << 8; // depth 0
    }
  } else {
    for (let word = 0; word < usedBits.length; word++) {
      let bits = usedBits[word] as number;
      while (bits !== 0) {
        const lowest = bits & -bits;
        bits ^= lowest;
        const n = (word << 5) | (31 - Math.clz32(lowest));
        used[heapLen] = n;
        HEAP[++heapLen] = maxCode = n;
        HEAP_KEY[heapLen] = (freq[n] as number) << 8; // depth 0
      }
    }
  }
  // Deflate wants at least one distance code, and a code of at least one bit: zlib forces two
  // used symbols (0 or 1, or the next one up, or 0), priced at nothing since they are never sent.
  while (heapLen < 2) {
    const node = maxCode < 2 ? ++maxCode : 0;
    if (node === 0 && heapLen > 0) {
      used.copyWithin(1, 0, heapLen); // 0 goes first
      used[0] = 0;
    } else {
      used[heapLen] = node;
    }
    HEAP[++heapLen] = node;
    HEAP_KEY[heapLen] = 1 << 8;
    freq[node] = 1;
    optLen--;
    if (tree.staticLen !== undefined) staticLen -= tree.staticLen[node] as number;
  }
  tree.maxCode = maxCode;
  tree.usedCount = heapLen;

  for (let n = heapLen >> 1; n >= 1; n--) siftDown(n, heapLen);

  // Join the two least frequent nodes until one is left. The sorted list built at the top of
  // HEAP (root first) gives every node after its parent, for gen_bitlen.
  let node = elems;
  do {
    const n = HEAP[1] as number;
    const nKey = HEAP_KEY[1] as number;
    HEAP[1] = HEAP[heapLen] as number;
    HEAP_KEY[1] = HEAP_KEY[heapLen] as number;
    siftDown(1, --heapLen);
    const m = HEAP[1] as number;
    const mKey = HEAP_KEY[1] as number;
    HEAP[--heapMax] = n;
    HEAP[--heapMax] = m;
    // The new node's frequency is the sum, its depth one more than the deeper (a byte, as zlib).
    const depth = (Math.max(nKey & 0xff, mKey & 0xff) + 1) & 0xff;
    dad[n] = node;
    dad[m] = node;
    HEAP[1] = node++;
    HEAP_KEY[1] = (((nKey >>> 8) + (mKey >>> 8)) << 8) | depth;
    siftDown(1, heapLen);
  } while (heapLen >= 2);
  HEAP[--heapMax] = HEAP[1] as number;

  assignLengths(tree);
}

/** The codes for the lengths buildTree gave `tree`, needed only when the block is sent with them. */
function assignTreeCodes(tree: Tree): void {
  assignCodes(tree.len, tree.code, tree.maxCode, tree.lengthCounts);
}

/** zlib's gen_bitlen: depths as lengths, then lengths over the limit pushed back within it. */
function assignLengths(tree: Tree): void {
  const { freq, len, dad, maxCode, extraBits, extraBase, maxLength } = tree;
  const stree = tree.staticLen;
  const counts = tree.lengthCounts;
  counts.fill(0);
  let overflow = 0;
  len[HEAP[heapMax] as number] = 0; // the root
  let h = heapMax + 1;
  for (; h < HEAP_SIZE; h++) {
    const n = HEAP[h] as number;
    let bits = (len[dad[n] as number] as number) + 1;
    if (bits > maxLength) {
      bits = maxLength;
      overflow++;
    }
    len[n] = bits;
    if (n > maxCode) continue; // an internal node
    counts[bits] = (counts[bits] as number) + 1;
    const xbits = n >= extraBase ? (extraBits[n - extraBase] as number) : 0;
    const f = freq[n] as number;
    optLen += f * (bits + xbits);
    if (stree !== undefined) staticLen += f * ((stree[n] as number) + xbits);
  }
  if (overflow === 0) return;

  // Too deep (rare; the code-length tree's 7-bit limit hits it first). Each round lowers a leaf
  // from the deepest level that has one below the limit, making room beside it for two leaves
  // at the limit; then lengths are dealt out again, the longest to the least frequent.
  do {
    let bits = maxLength - 1;
    while (counts[bits] === 0) bits--;
    counts[bits] = (counts[bits] as number) - 1;
    counts[bits + 1] = (counts[bits + 1] as number) + 2;
    counts[maxLength] = (counts[maxLength] as number) - 1;
    overflow -= 2;
  } while (overflow > 0);
  for (let bits = maxLength; bits !== 0; bits--) {
    let n = counts[bits] as number;
    while (n !== 0) {
      const m = HEAP[--h] as number;
      if (m > maxCode) continue;
      if (len[m] !== bits) {
        optLen += (bits - (len[m] as number)) * (freq[m] as number);
        len[m] = bits;
      }
      n--;
    }
  }
}

/** Canonical codes from the lengths (RFC 1951 §3.2.2), stored bit-reversed for sending. */
function assignCodes(
  len: Uint16Array,
  code: Uint16Array,
  maxCode: number,
  count: Uint16Array,
): void {
  let next = 0;
  for (let bits = 1; bits <= MAX_BITS; bits++) {
    next = (next + (count[bits - 1] as number)) << 1;
    NEXT_CODE[bits] = next;
  }
  for (let n = 0; n <= maxCode; n++) {
    const length = len[n] as number;
    if (length === 0) continue;
    const value = NEXT_CODE[length] as number;
    NEXT_CODE[length] = value + 1;
    code[n] =
      (((REVERSED_BYTE[value & 0xff] as number) << 8) | (REVERSED_BYTE[value >>> 8] as number)) >>>
      (16 - length);
  }
}

/**
 * Counts, into the code-length tree, the symbols that will describe `tree`'s lengths: runs of
 * a length repeat with 16 (3–6 times, after the length once), runs of zeros with 17 (3–10) and
 * 18 (11–138), exactly as send_tree will emit them.
 */
function scanTree(tree: Tree): void {
  const { len, used, usedCount } = tree;
  const blFreq = BLTREE.freq;
  len[tree.maxCode + 1] = 0xffff; // sendTree's guard, unequal to every length
  // The lengths 0..maxCode are runs of zeros (the unused symbols between two used ones) and
  // runs of one nonzero length; zlib's scan_tree counts each run on its own, as follows.
  let previous = -1;
  let index = 0;
  while (index < usedCount) {
    const symbol = used[index] as number;
    const zeros = symbol - previous - 1;
    if (zeros > 0) {
      // Zeros: an 18 per 138, then the rest as zeros (1–2), a 17 (3–10) or an 18 (11–137).
      blFreq[REPZ_11_138] = (blFreq[REPZ_11_138] as number) + Math.floor(zeros / 138);
      const rest = zeros % 138;
      if (rest >= 11) blFreq[REPZ_11_138] = (blFreq[REPZ_11_138] as number) + 1;
      else if (rest >= 3) blFreq[REPZ_3_10] = (blFreq[REPZ_3_10] as number) + 1;
      else blFreq[0] = (blFreq[0] as number) + rest;
    }
    // The run of this symbol's length over consecutive used symbols.
    const length = len[symbol] as number;
    let run = 1;
    while (
      index + run < usedCount &&
      used[index + run] === symbol + run &&
      len[symbol + run] === length
    ) {
      run++;
    }
    index += run;
    previous = symbol + run - 1;
    // Up to 7: sent as they are (1–3), or once and a 16 for the rest (4–7). Then each 6 or
    // fewer more: a 16 (3–6), or sent as they are (1–2).
    let count = Math.min(run, 7);
    if (count < 4) {
      blFreq[length] = (blFreq[length] as number) + count;
    } else {
      blFreq[length] = (blFreq[length] as number) + 1;
      blFreq[REP_3_6] = (blFreq[REP_3_6] as number) + 1;
    }
    for (let left = run - count; left > 0; left -= count) {
      count = Math.min(left, 6);
      if (count < 3) blFreq[length] = (blFreq[length] as number) + count;
      else blFreq[REP_3_6] = (blFreq[REP_3_6] as number) + 1;
    }
  }
}

function sendBl(symbol: number): void {
  sendBits(BLTREE.code[symbol] as number, BLTREE.len[symbol] as number);
}

/** Emits `tree`'s lengths with the code-length code, in the runs scanTree counted. */
function sendTree(tree: Tree): void {
  const len = tree.len;
  const maxCode = tree.maxCode;
  let prevLen = -1;
  let nextLen = len[0] as number;
  let count = 0;
  let maxCount = nextLen === 0 ? 138 : 7;
  let minCount = nextLen === 0 ? 3 : 4;
  // scanTree left the guard at len[maxCode + 1].
  for (let n = 0; n <= maxCode; n++) {
    const curLen = nextLen;
    nextLen = len[n + 1] as number;
    if (++count < maxCount && curLen === nextLen) continue;
    if (count < minCount) {
      do sendBl(curLen);
      while (--count !== 0);
    } else if (curLen !== 0) {
      if (curLen !== prevLen) {
        sendBl(curLen);
        count--;
      }
      sendBl(REP_3_6);
      sendBits(count - 3, 2);
    } else if (count <= 10) {
      sendBl(REPZ_3_10);
      sendBits(count - 3, 3);
    } else {
      sendBl(REPZ_11_138);
      sendBits(count - 11, 7);
    }
    count = 0;
    prevLen = curLen;
    if (nextLen === 0) {
      maxCount = 138;
      minCount = 3;
    } else if (curLen === nextLen) {
      maxCount = 6;
      minCount = 3;
    } else {
      maxCount = 7;
      minCount = 4;
    }
  }
}

/**
 * The code-length tree for both trees; returns the index in BL_ORDER of the last length to
 * send (at least 3: a header lists at least four), and adds the header's cost to optLen.
 */
function buildBlTree(): number {
  scanTree(LTREE);
  scanTree(DTREE);
  buildTree(BLTREE);
  let maxIndex = BL_CODES - 1;
  for (; maxIndex >= 3; maxIndex--) {
    if (BLTREE.len[BL_ORDER[maxIndex] as number] !== 0) break;
  }
  optLen += 3 * (maxIndex + 1) + 5 + 5 + 4;
  return maxIndex;
}

function compressBlock(
  lcode: Uint16Array,
  llen: Uint16Array,
  dcode: Uint16Array,
  dlen: Uint16Array,
): void {
  // The bit writer's state in locals for this loop, written whole 16 bits at a time (fewer than
  // 16 pending, at most 16 added: the sum stays within 31 bits).
  const bytes = out;
  let at = outLength;
  let buffer = bitBuffer;
  let count = bitCount;
  for (let i = 0; i < symbolCount; i++) {
    const symbol = SYMBOLS[i] as number;
    let dist = symbol >>> 8;
    let lc = symbol & 0xff;
    if (dist === 0) {
      buffer |= (lcode[lc] as number) << count;
      count += llen[lc] as number;
    } else {
      let code = LENGTH_CODE[lc] as number;
      buffer |= (lcode[code + LITERALS + 1] as number) << count;
      count += llen[code + LITERALS + 1] as number;
      if (count >= 16) {
        bytes[at++] = buffer;
        bytes[at++] = buffer >>> 8;
        buffer >>>= 16;
        count -= 16;
      }
      let extra = EXTRA_LENGTH_BITS[code] as number;
      if (extra !== 0) {
        lc -= BASE_LENGTH[code] as number;
        buffer |= lc << count;
        count += extra;
      }
      dist--;
      code = distanceCode(dist);
      if (count >= 16) {
        bytes[at++] = buffer;
        bytes[at++] = buffer >>> 8;
        buffer >>>= 16;
        count -= 16;
      }
      buffer |= (dcode[code] as number) << count;
      count += dlen[code] as number;
      extra = EXTRA_DISTANCE_BITS[code] as number;
      if (extra !== 0) {
        if (count >= 16) {
          bytes[at++] = buffer;
          bytes[at++] = buffer >>> 8;
          buffer >>>= 16;
          count -= 16;
        }
        dist -= BASE_DIST[code] as number;
        buffer |= dist << count;
        count += extra;
      }
    }
    if (count >= 16) {
      bytes[at++] = buffer;
      bytes[at++] = buffer >>> 8;
      buffer >>>= 16;
      count -= 16;
    }
  }
  outLength = at;
  bitBuffer = buffer;
  bitCount = count;
  sendBits(lcode[END_BLOCK] as number, llen[END_BLOCK] as number);
}

/**
 * zlib's _tr_flush_block: prices the block as dynamic and as fixed codes, stores it instead
 * when that is no longer (`storable`: zlib still has its bytes in the window), prefers fixed
 * codes on a tie in whole bytes, and emits it. The last block is not emitted, and false is
 * returned, when the output would then be longer than `maxLength` with the 4-byte checksum.
 */
function flushBlock(
  input: Uint8Array,
  start: number,
  storedLength: number,
  storable: boolean,
  last: boolean,
  maxLength: number,
): boolean {
  buildTree(LTREE);
  buildTree(DTREE);
  const maxBlIndex = buildBlTree();
  // The 3 block-header bits, rounded up to whole bytes.
  let optBytes = (optLen + 3 + 7) >>> 3;
  const staticBytes = (staticLen + 3 + 7) >>> 3;
  if (staticBytes <= optBytes) optBytes = staticBytes;
  const stored = storable && storedLength + 4 <= optBytes;
  if (last) {
    // The stream's length once this block is sent: the bits so far and the block's 3 header
    // bits, then a stored block's byte alignment, LEN, NLEN and bytes, or the coded block's
    // bits (optLen and staticLen are exactly what is sent); padded to a byte; the checksum.
    const bitsBefore = outLength * 8 + bitCount + 3;
    const total = stored
      ? ((bitsBefore + 7) >>> 3) + 4 + storedLength
      : (bitsBefore + (staticBytes === optBytes ? staticLen : optLen) + 7) >>> 3;
    if (total + 4 > maxLength) {
      resetBlock();
      return false;
    }
  }
  const lastBit = last ? 1 : 0;
  if (stored) {
    // +4: the stored block's LEN and NLEN.
    sendBits(lastBit, 3);
    alignToByte();
    out[outLength++] = storedLength & 0xff;
    out[outLength++] = (storedLength >>> 8) & 0xff;
    out[outLength++] = ~storedLength & 0xff;
    out[outLength++] = (~storedLength >>> 8) & 0xff;
    out.set(input.subarray(start, start + storedLength), outLength);
    outLength += storedLength;
  } else if (staticBytes === optBytes) {
    sendBits(2 + lastBit, 3);
    compressBlock(STATIC_LTREE_CODE, STATIC_LTREE_LEN, STATIC_DTREE_CODE, STATIC_DTREE_LEN);
  } else {
    assignTreeCodes(LTREE);
    assignTreeCodes(DTREE);
    assignTreeCodes(BLTREE);
    sendBits(4 + lastBit, 3);
    const lcodes = LTREE.maxCode + 1;
    const dcodes = DTREE.maxCode + 1;
    sendBits(lcodes - 257, 5);
    sendBits(dcodes - 1, 5);
    sendBits(maxBlIndex + 1 - 4, 4);
    for (let rank = 0; rank <= maxBlIndex; rank++) {
      sendBits(BLTREE.len[BL_ORDER[rank] as number] as number, 3);
    }
    sendTree(LTREE);
    sendTree(DTREE);
    compressBlock(LTREE.code, LTREE.len, DTREE.code, DTREE.len);
  }
  resetBlock();
  if (last) alignToByte();
  return true;
}

let matchStart = 0;

/**
 * zlib's longest_match: the longest match for `at` along its hash chain starting at `chain`
 * (stamped with `base`), better than `prevLength`, at most `lookahead` long; sets matchStart.
 * zlib compares on into its window's padding past the input's end but then cuts the length to
 * the lookahead, and stops at any match reaching it (nice_match is cut too): comparing only up
 * to the lookahead picks the same match.
 */
function longestMatch(
  input: Uint8Array,
  at: number,
  chain: number,
  prevLength: number,
  lookahead: number,
  base: number,
  floor: number,
): number {
  const maxLength = Math.min(lookahead, MAX_MATCH);
  // Nothing longer than the previous match can be found: whatever zlib finds here is cut to
  // the lookahead, no longer than the previous match, which is then emitted as it is.
  if (prevLength >= maxLength) return maxLength;
  // With a good match already in hand, search a quarter as far.
  let chainLength = prevLength >= GOOD_LENGTH ? MAX_CHAIN >> 2 : MAX_CHAIN;
  const nice = Math.min(lookahead, NICE_LENGTH);
  // Links at or below this are too far back (or empty, or stale): the chain ends there.
  const limit = base + Math.max(at - MAX_DIST, floor);
  let bestLength = prevLength;
  let scanEnd1 = input[at + bestLength - 1] as number;
  let scanEnd = input[at + bestLength] as number;
  const scan0 = input[at] as number;
  const scan1 = input[at + 1] as number;
  let candidate = chain;
  do {
    const from = candidate - base;
    // Cheap rejections first: the bytes that would have to extend the best match, then the
    // first two. The third is not compared, here or by zlib: equal hashes and equal first two
    // bytes make it equal.
    if (
      input[from + bestLength] === scanEnd &&
      input[from + bestLength - 1] === scanEnd1 &&
      input[from] === scan0 &&
      input[from + 1] === scan1
    ) {
      let length = MIN_MATCH;
      while (length < maxLength && input[from + length] === input[at + length]) length++;
      if (length > bestLength) {
        matchStart = from;
        bestLength = length;
        if (length >= nice) break;
        scanEnd1 = input[at + bestLength - 1] as number;
        scanEnd = input[at + bestLength] as number;
      }
    }
    candidate = PREV[from & W_MASK] as number;
  } while (candidate > limit && --chainLength !== 0);
  return bestLength;
}

/** Whole-input Adler-32, reduced every 5552 bytes as zlib does (the sums stay below 2^32). */
function adler32(input: Uint8Array): number {
  let a = 1;
  let b = 0;
  let at = 0;
  while (at < input.length) {
    const end = Math.min(at + 5_552, input.length);
    for (; at < end; at++) {
      a += input[at] as number;
      b += a;
    }
    a %= 65_521;
    b %= 65_521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * `zlib.compress(input)` with zlib's defaults (level 6): the same bytes as Python's
 * `zlib.compress` with zlib 1.2.13, for an input of any length.
 */
export function zlibDeflate(input: Uint8Array): Buffer {
  return deflate(input, Number.POSITIVE_INFINITY) as Buffer;
}

/**
 * `zlibDeflate(input)` if it is at most `maxLength` bytes long, else undefined: what a caller
 * that keeps the compressed form only when it is short enough (itsdangerous) needs. The same
 * bytes as zlibDeflate whenever they are returned. The last block's exact size is known once
 * its trees are built (zlib prices it to choose how to send it), so a stream that would be too
 * long is given up before anything of that block is coded or sent, or the checksum computed.
 */
export function zlibDeflateIfShorter(input: Uint8Array, maxLength: number): Buffer | undefined {
  return deflate(input, maxLength);
}

function deflate(input: Uint8Array, maxLength: number): Buffer | undefined {
  const n = input.length;
  // Room for every block stored (at most 9 bits a byte otherwise, which stored beats), plus
  // headers; blocks hold at least SYMBOL_LIMIT bytes each but the last.
  const bound = n + (n >>> 3) + 16 * (Math.floor(n / SYMBOL_LIMIT) + 2) + 16;
  if (out.length < bound) out = new Uint8Array(bound);
  // Kept within V8's small integers; refreshing the table costs one fill per GiB of input.
  if (stamp + n + 1 > 0x3fff_ffff) {
    HEAD.fill(0);
    stamp = 0;
  }
  const base = stamp;
  stamp += n + 1;
  outLength = 0;
  bitBuffer = 0;
  bitCount = 0;
  resetBlock();
  out[outLength++] = 0x78; // deflate with a 32 KiB window
  out[outLength++] = 0x9c; // default level, no dictionary; 0x789c is a multiple of 31

  // zlib's sliding window, bookkept: `dataEnd` is how far zlib has read the input into its
  // window, `floor` how far the window has slid (a multiple of 32 KiB).
  let dataEnd = 0;
  let floor = 0;
  let at = 0; // strstart
  let blockStart = 0;
  let matchLength = MIN_MATCH - 1;
  let prevLength = MIN_MATCH - 1;
  let prevMatch = 0;
  let matchAvailable = false;
  // zlib's rolling hash: positions are hashed in order from 0, each step shifting the oldest
  // byte out of the 15 bits, so it starts with the first two bytes shifted in.
  let hash = n >= 2 ? (((input[0] as number) << HASH_SHIFT) ^ (input[1] as number)) & HASH_MASK : 0;

  for (;;) {
    if (dataEnd - at < MIN_LOOKAHEAD) {
      // zlib's fill_window. Once it has run out of room it slides the window down 32 KiB,
      // which empties every hash entry that fell out (and the one landing on position 0); and
      // a block begun before the slide can no longer be stored, its start being gone.
      do {
        let room = WINDOW_SIZE - (dataEnd - floor);
        if (at - floor >= W_SIZE + MAX_DIST) {
          floor += W_SIZE;
          room += W_SIZE;
        }
        if (dataEnd === n) break;
        dataEnd += Math.min(room, n - dataEnd);
      } while (dataEnd - at < MIN_LOOKAHEAD && dataEnd < n);
      if (dataEnd === at) break;
    }
    const lookahead = dataEnd - at;

    // Insert this position into its hash chain, keeping the chain's previous head.
    let hashHead = 0;
    if (lookahead >= MIN_MATCH) {
      hash = ((hash << HASH_SHIFT) ^ (input[at + 2] as number)) & HASH_MASK;
      hashHead = HEAD[hash] as number;
      PREV[at & W_MASK] = hashHead;
      HEAD[hash] = base + at;
    }

    // Lazy matching: the match found at the previous position is emitted only if this
    // position has none longer.
    prevLength = matchLength;
    prevMatch = matchStart;
    matchLength = MIN_MATCH - 1;
    if (hashHead > base + floor && prevLength < MAX_LAZY && at - (hashHead - base) <= MAX_DIST) {
      matchLength = longestMatch(input, at, hashHead, prevLength, lookahead, base, floor);
      if (matchLength === MIN_MATCH && at - matchStart > TOO_FAR) matchLength = MIN_MATCH - 1;
    }

    if (prevLength >= MIN_MATCH && matchLength <= prevLength) {
      // The previous match (starting at at − 1) wins. Insert the positions it covers, as far
      // as three bytes remain to hash, and continue after it.
      const maxInsert = dataEnd - MIN_MATCH;
      const distance = at - 1 - prevMatch;
      SYMBOLS[symbolCount++] = (distance << 8) | (prevLength - MIN_MATCH);
      const lengthSymbol = (LENGTH_CODE[prevLength - MIN_MATCH] as number) + LITERALS + 1;
      countLiteral(lengthSymbol);
      const distSymbol = distanceCode(distance - 1);
      DTREE.freq[distSymbol] = (DTREE.freq[distSymbol] as number) + 1;
      const end = at + prevLength - 2;
      while (at < end) {
        at++;
        if (at <= maxInsert) {
          hash = ((hash << HASH_SHIFT) ^ (input[at + 2] as number)) & HASH_MASK;
          PREV[at & W_MASK] = HEAD[hash] as number;
          HEAD[hash] = base + at;
        }
      }
      matchAvailable = false;
      matchLength = MIN_MATCH - 1;
      at++;
      if (symbolCount === SYMBOL_LIMIT) {
        flushBlock(input, blockStart, at - blockStart, blockStart >= floor, false, maxLength);
        blockStart = at;
        // Already too long (a block only adds bytes): the rest need not be compressed.
        if (outLength + 4 > maxLength) return finish(undefined);
      }
    } else if (matchAvailable) {
      // No match at the previous position: it goes out as a literal; this one waits.
      const byte = input[at - 1] as number;
      SYMBOLS[symbolCount++] = byte;
      countLiteral(byte);
      if (symbolCount === SYMBOL_LIMIT) {
        flushBlock(input, blockStart, at - blockStart, blockStart >= floor, false, maxLength);
        blockStart = at;
        // Already too long (a block only adds bytes): the rest need not be compressed.
        if (outLength + 4 > maxLength) return finish(undefined);
      }
      at++;
    } else {
      matchAvailable = true;
      at++;
    }
  }
  if (matchAvailable) {
    const byte = input[at - 1] as number;
    SYMBOLS[symbolCount++] = byte;
    countLiteral(byte);
  }
  if (!flushBlock(input, blockStart, at - blockStart, blockStart >= floor, true, maxLength)) {
    return finish(undefined);
  }

  const checksum = adler32(input);
  out[outLength++] = checksum >>> 24;
  out[outLength++] = (checksum >>> 16) & 0xff;
  out[outLength++] = (checksum >>> 8) & 0xff;
  out[outLength++] = checksum & 0xff;
  const result = Buffer.allocUnsafe(outLength);
  result.set(out.subarray(0, outLength));
  return finish(result);
}

function finish(result: Buffer | undefined): Buffer | undefined {
  // Keep a cookie-sized output buffer between calls, not one grown for a large input.
  if (out.length > RETAINED_OUTPUT) out = new Uint8Array(RETAINED_OUTPUT);
  return result;
}
