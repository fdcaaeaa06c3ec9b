/**
 * The cookie layer: the Cookie request header, Set-Cookie serialisation and its attribute
 * rules, and signed cookie values.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { CookieOptions } from "../../../src/cookies/options.ts";
import { parseAllValues, parseCookieHeader } from "../../../src/cookies/parse.ts";
import { serializeDeletion, serializeSetCookie } from "../../../src/cookies/serialize.ts";
import { signCookieValue, unsignCookieValue } from "../../../src/cookies/signing.ts";
import { MAX_SET_COOKIE_BYTES } from "../../../src/cookies/size.ts";
import { Keyring } from "../../../src/crypto/keyring.ts";
import { applyMutations, mutations } from "../mutate.ts";
import {
  assertOnlyOriginalAccepted,
  defineTarget,
  type FuzzTarget,
  onlyTesseraErrors,
} from "../target.ts";

/** An RFC 6265 token, what tessera accepts as a cookie name; `__proto__` among them. */
export const tokenName: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc.constantFrom(..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzAZ"),
    minLength: 1,
    maxLength: 12,
  }),
  fc.constantFrom("session", "__proto__", "constructor", "a"),
);

/** Text shaped like a Cookie header: pairs, separators, quotes, percent signs, broken text. */
export const headerish: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(..."ab=; \t%2F\"',é", "session", "session=", "\uD800", "__proto__="),
  maxLength: 40,
});

/** A header past the 16 KiB parsing limit, so the cut at a pair boundary is exercised. */
const longHeader: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 30 }), fc.integer({ min: 400, max: 1200 }))
  .map(([pair, times]) => `${pair}; `.repeat(times) + pair);

const anyHeader = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary" }) },
  { weight: 3, arbitrary: fc.string() },
  { weight: 4, arbitrary: headerish },
  { weight: 1, arbitrary: longHeader },
);

export const cookieHeaderTarget: FuzzTarget = defineTarget(
  "cookie-header",
  "parsing never throws, gives a null-prototype map of strings that parseAllValues agrees with, and round-trips what the cookie encoder writes",
  () =>
    fc.property(
      fc.oneof(
        anyHeader.map((header) => ({ header, pairs: undefined })),
        fc
          .tuple(
            fc.array(fc.tuple(tokenName, fc.string({ unit: "grapheme", maxLength: 20 })), {
              minLength: 1,
              maxLength: 6,
            }),
            fc.constantFrom("; ", ";"),
          )
          .map(([pairs, separator]) => ({
            header: pairs
              .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
              .join(separator),
            pairs,
          })),
      ),
      ({ header, pairs }) => {
        const cookies = parseCookieHeader(header);
        assert.equal(Object.getPrototypeOf(cookies), null);
        for (const name of Object.keys(cookies)) {
          assert.equal(typeof cookies[name], "string");
          // parse.ts promises the first of parseAllValues is what parseCookieHeader gives, for
          // every name it accepts: it refuses the empty one, which a nameless pair ("=a") has.
          if (name !== "")
            assert.equal(parseAllValues(header, name)[0], cookies[name], `cookie ${name}`);
        }
        if (pairs !== undefined) {
          const expected: Record<string, string> = Object.create(null);
          for (const [name, value] of pairs) if (!(name in expected)) expected[name] = value;
          assert.deepEqual({ ...cookies }, { ...expected });
        }
      },
    ),
);

/** Path characters RFC 6265 allows and tessera sends (no ";", ",", "<" or controls). */
const pathText = fc.string({
  unit: fc.constantFrom(..."abz09/-._~!$&'()*+=:@%>?[]{}| "),
  maxLength: 30,
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const domainText = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([labels, dot]) => (dot ? "." : "") + labels.join("."));

/** Options that are all valid together (SameSite=None and Partitioned get Secure; prefixes their rules). */
const validCookie = fc
  .record({
    prefix: fc.constantFrom("", "", "__Secure-", "__Host-", "__host-"),
    name: tokenName,
    value: fc.string({ unit: "grapheme", maxLength: 60 }),
    requestIsSecure: fc.boolean(),
    path: fc.option(
      pathText.map((rest) => `/${rest}`),
      { nil: undefined },
    ),
    domain: fc.option(domainText, { nil: undefined }),
    lifetime: fc.oneof(
      fc.constant(undefined),
      fc.nat({ max: 400 * 86_400 }).map((maxAge) => ({ maxAge })),
      fc
        .tuple(fc.nat({ max: 400 }), fc.constantFrom("ms", "s", "m", "h", "d"))
        .map(([count, unit]) => ({ maxAge: `${count}${unit}` as const })),
      fc
        .date({
          min: new Date(Date.UTC(1601, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        })
        .map((expires) => ({ expires })),
    ),
    secure: fc.option(fc.boolean(), { nil: undefined }),
    httpOnly: fc.option(fc.boolean(), { nil: undefined }),
    sameSite: fc.option(fc.constantFrom("strict", "lax", "none" as const), { nil: undefined }),
    partitioned: fc.option(fc.boolean(), { nil: undefined }),
    priority: fc.option(fc.constantFrom("low", "medium", "high" as const), { nil: undefined }),
  })
  .map((cookie) => {
    const host = cookie.prefix.toLowerCase() === "__host-";
    const needsSecure =
      cookie.prefix !== "" || cookie.sameSite === "none" || cookie.partitioned === true;
    const secure = needsSecure ? true : cookie.secure;
    return {
      ...cookie,
      name: cookie.prefix + cookie.name,
      path: host ? "/" : cookie.path,
      domain: host ? undefined : cookie.domain,
      secure,
    };
  });

const hostile = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withTypedArray: true,
});

/** Options as plain JavaScript or a config file might give them: any key, any value. */
const hostileOptions = fc.record(
  {
    maxAge: fc.oneof(hostile, fc.double(), fc.constantFrom("7days", "-1s", "1e400s", "9999999d")),
    expires: fc.oneof(hostile, fc.date()),
    path: fc.oneof(
      hostile,
      fc.string({ unit: "binary" }).map((rest) => `/${rest}`),
    ),
    domain: fc.oneof(hostile, fc.string({ unit: "binary" })),
    secure: hostile,
    httpOnly: hostile,
    sameSite: fc.oneof(hostile, fc.constantFrom("Lax", "none", "")),
    partitioned: hostile,
    priority: hostile,
  },
  { requiredKeys: [] },
);

export const setCookieTarget: FuzzTarget = defineTarget(
  "set-cookie",
  "valid options serialize to a header ≤ 4096 bytes whose value and attributes read back; any other input throws only a TesseraError",
  () =>
    fc.property(
      fc.oneof(
        validCookie.map((cookie) => ({ valid: true as const, cookie })),
        fc
          .record({
            name: fc.oneof(tokenName, fc.string({ unit: "binary" }), hostile),
            value: fc.oneof(fc.string({ unit: "binary" }), hostile),
            options: hostileOptions,
            requestIsSecure: fc.boolean(),
          })
          .map((input) => ({ valid: false as const, input })),
      ),
      (input) => {
        if (!input.valid) {
          const { name, value, options, requestIsSecure } = input.input;
          const loose = options as unknown as CookieOptions;
          onlyTesseraErrors(() =>
            serializeSetCookie(name as string, value as string, loose, requestIsSecure),
          );
          onlyTesseraErrors(() => serializeDeletion(name as string, loose, requestIsSecure));
          return;
        }
        checkValidCookie(input.cookie);
      },
    ),
);

type ValidCookie = typeof validCookie extends fc.Arbitrary<infer T> ? T : never;

function checkValidCookie(cookie: ValidCookie): void {
  const { name, value, requestIsSecure, lifetime } = cookie;
  const options: CookieOptions = {
    ...lifetime,
    ...defined({
      path: cookie.path,
      domain: cookie.domain,
      secure: cookie.secure,
      httpOnly: cookie.httpOnly,
      sameSite: cookie.sameSite,
      partitioned: cookie.partitioned,
      priority: cookie.priority,
    }),
  } as CookieOptions;
  const header = serializeSetCookie(name, value, options, requestIsSecure);
  assert.ok(Buffer.byteLength(header) <= MAX_SET_COOKIE_BYTES);
  const [pair = "", ...attributes] = header.split("; ");
  assert.ok(pair.startsWith(`${name}=`), header);
  assert.equal(parseCookieHeader(pair)[name], value, "the value reads back");
  const expected = [`Path=${cookie.path ?? "/"}`];
  if (cookie.domain !== undefined) expected.push(`Domain=${cookie.domain}`);
  if (cookie.secure ?? requestIsSecure) expected.push("Secure");
  if (cookie.httpOnly ?? true) expected.push("HttpOnly");
  const sameSite = cookie.sameSite ?? "lax";
  expected.push(`SameSite=${sameSite[0]?.toUpperCase()}${sameSite.slice(1)}`);
  if (cookie.partitioned) expected.push("Partitioned");
  if (cookie.priority !== undefined) {
    expected.push(`Priority=${cookie.priority[0]?.toUpperCase()}${cookie.priority.slice(1)}`);
  }
  if (lifetime !== undefined && "expires" in lifetime) {
    expected.push(`Expires=${lifetime.expires.toUTCString()}`);
  }
  const sent = attributes.filter(
    (attribute) => !attribute.startsWith("Max-Age=") && !attribute.startsWith("Expires="),
  );
  const sentExpiry = attributes.filter((attribute) => attribute.startsWith("Expires="));
  assert.deepEqual(
    new Set([...sent, ...(lifetime !== undefined && "expires" in lifetime ? sentExpiry : [])]),
    new Set(expected),
    header,
  );
  if (lifetime !== undefined && "maxAge" in lifetime) {
    assert.ok(
      attributes.some((attribute) => /^Max-Age=\d+$/.test(attribute)),
      header,
    );
    assert.equal(sentExpiry.length, 1, header);
  } else if (lifetime === undefined) {
    assert.equal(sentExpiry.length, 0, header);
  }
  const deletion = serializeDeletion(name, options, requestIsSecure);
  assert.ok(deletion.startsWith(`${name}=; `) && deletion.includes("; Max-Age=0"), deletion);
}

/** The entries whose value is not undefined (exactOptionalPropertyTypes forbids passing them). */
function defined<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

const NEW_SECRET = "fuzz-new-secret-0123456789abcdef";
const OLD_SECRET = "fuzz-old-secret-0123456789abcdef";

export const cookieSigningTarget: FuzzTarget = defineTarget(
  "cookie-signing",
  "signed values verify for their name (rotated when signed by an older secret); random text, another name or any mutant never verifies",
  () => {
    const keyring = new Keyring([NEW_SECRET, OLD_SECRET]);
    const oldRing = new Keyring(OLD_SECRET);
    return fc.property(
      fc.oneof(
        fc.record({ kind: fc.constant("random" as const), name: tokenName, text: anyHeader }),
        fc.record({
          kind: fc.constant("signed" as const),
          name: tokenName,
          other: tokenName,
          value: fc.string({ unit: "grapheme", maxLength: 30 }),
          rotated: fc.boolean(),
          mutations,
        }),
      ),
      (input) => {
        if (input.kind === "random") {
          assert.equal(unsignCookieValue(keyring, input.name, input.text), undefined);
          return;
        }
        const { name, value, rotated } = input;
        const signed = signCookieValue(rotated ? oldRing : keyring, name, value);
        assert.deepEqual(unsignCookieValue(keyring, name, signed), { value, rotated });
        if (input.other !== name) {
          assert.equal(unsignCookieValue(keyring, input.other, signed), undefined);
        }
        const mutant = applyMutations(signed, input.mutations);
        const opened = unsignCookieValue(keyring, name, mutant);
        assertOnlyOriginalAccepted(signed, mutant, opened !== undefined);
      },
    );
  },
);
