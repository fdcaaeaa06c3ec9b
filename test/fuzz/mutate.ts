/**
 * Mutations of a valid token, as an attacker or a damaged transport would make them: a changed,
 * inserted or deleted character, a truncation, something appended, a flipped letter case, a
 * character nudged to a neighbour (which in base64 changes only the low bits, the ones a lenient
 * decoder ignores in the last character), or two characters swapped. Positions count from the
 * start or from the end, so the signature at the end of a token is hit as often as its start.
 */
import fc from "fast-check";

interface Position {
  readonly fromEnd: boolean;
  readonly offset: number;
}

export type Mutation =
  | { readonly kind: "replace" | "insert"; readonly at: Position; readonly text: string }
  | { readonly kind: "delete"; readonly at: Position; readonly count: number }
  | { readonly kind: "truncate" | "flipCase" | "swap"; readonly at: Position }
  | { readonly kind: "append"; readonly text: string }
  | { readonly kind: "nudge"; readonly at: Position; readonly delta: number };

/**
 * Characters that mean something to some decoder: base64's two alphabets and padding, the
 * token separators, white space a trimming parser drops, percent-encoding and quotes a cookie
 * parser unwraps, and text that is not ASCII or not well formed.
 */
const SPECIAL = [
  ..."AQgw09_-+/=.",
  " ",
  "\t",
  "\n",
  "\0",
  "%",
  "%41",
  "%2E",
  '"',
  ";",
  ",",
  "\\",
  "é",
  "\uD800",
  "\u{1F600}",
];

export const mutationText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.string({ minLength: 1, maxLength: 3 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 2 }),
);

const position: fc.Arbitrary<Position> = fc.record({
  fromEnd: fc.boolean(),
  offset: fc.oneof(fc.nat({ max: 4 }), fc.nat()),
});

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), at: position, text: mutationText }),
  fc.record({ kind: fc.constant("insert" as const), at: position, text: mutationText }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: position,
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constantFrom("truncate", "flipCase", "swap"), at: position }),
  fc.record({ kind: fc.constant("append" as const), text: mutationText }),
  fc.record({
    kind: fc.constant("nudge" as const),
    at: position,
    delta: fc.integer({ min: -16, max: 16 }).filter((delta) => delta !== 0),
  }),
);

/** One to four mutations, applied in order. */
export const mutations: fc.Arbitrary<readonly Mutation[]> = fc.array(mutation, {
  minLength: 1,
  maxLength: 4,
});

export function applyMutations(text: string, list: readonly Mutation[]): string {
  let result = text;
  for (const step of list) result = applyMutation(result, step);
  return result;
}

/** Where a position falls in `text`: an index in 0..length-1 (0 for the empty string). */
function indexOf(text: string, at: Position): number {
  if (text.length === 0) return 0;
  const offset = at.offset % text.length;
  return at.fromEnd ? text.length - 1 - offset : offset;
}

function applyMutation(text: string, step: Mutation): string {
  if (step.kind === "append") return text + step.text;
  const index = indexOf(text, step.at);
  const before = text.slice(0, index);
  switch (step.kind) {
    case "replace":
      return before + step.text + text.slice(index + 1);
    case "insert":
      return before + step.text + text.slice(index);
    case "delete":
      return before + text.slice(index + step.count);
    case "truncate":
      return before;
    case "flipCase": {
      const character = text.charAt(index);
      const flipped =
        character === character.toLowerCase() ? character.toUpperCase() : character.toLowerCase();
      return before + flipped + text.slice(index + 1);
    }
    case "swap":
      return before + text.charAt(index + 1) + text.charAt(index) + text.slice(index + 2);
    case "nudge": {
      const code = (text.charCodeAt(index) || 0) + step.delta;
      return before + String.fromCharCode(Math.max(0, code)) + text.slice(index + 1);
    }
  }
}
