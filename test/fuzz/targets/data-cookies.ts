/**
 * The cookies that carry the whole session: Flask's (itsdangerous-signed tagged JSON) and
 * tessera's sealed one (AES-256-GCM), through their codecs. What each must do: give back what
 * was written, refuse random text, and accept no string but the one issued.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { FlaskSessionCodec } from "../../../src/codecs/flask/index.ts";
import {
  type SealedSessionData,
  SealKeys,
  sealSession,
  unsealSession,
} from "../../../src/codecs/sealed/index.ts";
import { flaskData, readBack } from "../../codecs/flask-arbitraries.ts";
import { applyMutations, mutations } from "../mutate.ts";
import { assertOnlyOriginalAccepted, defineTarget, type FuzzTarget } from "../target.ts";
import { clearOfV8KeyBug } from "../v8-json.ts";
import { NEW_SECRET, OLD_SECRET } from "./ids.ts";

const base64url = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
  maxLength: 60,
});

/** Text in a token's shape (base64 parts and dots), so decoding gets past the first checks. */
const tokenShaped = fc
  .array(base64url, { minLength: 1, maxLength: 4 })
  .chain((parts) => fc.boolean().map((dot) => (dot ? "." : "") + parts.join(".")));

const randomText = fc.oneof(fc.string({ unit: "binary" }), fc.string(), tokenShaped);

/** Flask's PERMANENT_SESSION_LIFETIME default, 31 days. */
const MAX_AGE_SECONDS = 31 * 86_400;

export const flaskCookieTarget: FuzzTarget = defineTarget(
  "flask-cookie",
  "a Flask cookie decodes to what was encoded (rotated when an older secret signed it); random text and every mutant other than the cookie itself decode to nothing, and decoding never throws",
  () => {
    const codec = new FlaskSessionCodec({ secrets: [NEW_SECRET, OLD_SECRET] });
    const current = new FlaskSessionCodec({ secrets: NEW_SECRET });
    const old = new FlaskSessionCodec({ secrets: OLD_SECRET });
    return fc.property(
      fc.oneof(
        fc.record({ kind: fc.constant("random" as const), text: randomText }),
        fc.record({
          kind: fc.constant("issued" as const),
          data: flaskData.filter(clearOfV8KeyBug),
          rotated: fc.boolean(),
          mutations,
        }),
      ),
      (input) => {
        if (input.kind === "random") {
          assert.equal(codec.decode(input.text, MAX_AGE_SECONDS), undefined);
          return;
        }
        const cookie = (input.rotated ? old : current).encode(input.data);
        const decoded = codec.decode(cookie, MAX_AGE_SECONDS);
        assert.ok(decoded !== undefined, "the issued cookie decodes");
        assert.deepStrictEqual(decoded.data, readBack(input.data));
        assert.equal(decoded.rotated, input.rotated);
        const mutant = applyMutations(cookie, input.mutations);
        const opened = codec.decode(mutant, MAX_AGE_SECONDS);
        assertOnlyOriginalAccepted(cookie, mutant, opened !== undefined);
      },
    );
  },
);

const sealedData = fc
  .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), {
    maxKeys: 6,
    noNullPrototype: true,
  })
  .filter(clearOfV8KeyBug);

export const sealedCookieTarget: FuzzTarget = defineTarget(
  "sealed-cookie",
  "a sealed cookie opens to its data, expiry and creation time (rotated when an older key sealed it); random text, tokens with the real key id and every mutant other than the cookie itself open to nothing, and opening never throws",
  () => {
    const keys = new SealKeys([NEW_SECRET, OLD_SECRET]);
    const current = new SealKeys(NEW_SECRET);
    const old = new SealKeys(OLD_SECRET);
    const [newId = "", oldId = ""] = keys.ids;
    return fc.property(
      fc.oneof(
        fc.record({ kind: fc.constant("random" as const), text: randomText }),
        fc.record({
          kind: fc.constant("random" as const),
          text: fc
            .tuple(fc.constantFrom(newId, oldId), base64url)
            .map(([id, body]) => `v1.${id}.${body}`),
        }),
        fc.record({
          kind: fc.constant("issued" as const),
          data: sealedData,
          rotated: fc.boolean(),
          lifetimeSeconds: fc.integer({ min: 1, max: 400 * 86_400 }),
          ageSeconds: fc.option(fc.nat({ max: 400 * 86_400 }), { nil: undefined }),
          mutations,
        }),
      ),
      (input) => {
        if (input.kind === "random") {
          assert.equal(unsealSession(input.text, { keys }), undefined);
          return;
        }
        const now = Date.now();
        const expiresAt = now + input.lifetimeSeconds * 1_000;
        const createdAt =
          input.ageSeconds === undefined ? undefined : now - input.ageSeconds * 1_000;
        const token = sealSession(input.data as SealedSessionData, {
          keys: input.rotated ? old : current,
          expiresAt,
          ...(createdAt === undefined ? {} : { createdAt }),
        });
        assert.deepEqual(unsealSession(token, { keys, now: () => now }), {
          // What JSON keeps: -0 comes back as 0.
          data: JSON.parse(JSON.stringify(input.data)),
          expiresAt: Math.ceil(expiresAt / 1_000) * 1_000,
          createdAt: createdAt === undefined ? undefined : Math.floor(createdAt / 1_000) * 1_000,
          rotated: input.rotated,
        });
        const mutant = applyMutations(token, input.mutations);
        const opened = unsealSession(mutant, { keys, now: () => now });
        assertOnlyOriginalAccepted(token, mutant, opened !== undefined);
      },
    );
  },
);
