/**
 * Signed session ids in their cookie, tessera's (`<id>.<HMAC-SHA256>`) and Flask-Session's
 * (itsdangerous, or the bare id), read as the engine reads them: through the Cookie header and
 * IdCookieTransport, verified-value cache included (one transport serves every input of a run,
 * so a cache hit must never let a near miss through).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Cookies, type CookieWriter } from "../../../src/cookies/jar.ts";
import { parseAllValues } from "../../../src/cookies/parse.ts";
import { resolveOptions, type SessionFormat } from "../../../src/engine/options.ts";
import { memoryStore } from "../../../src/stores/memory.ts";
import { IdCookieTransport } from "../../../src/transport/id-cookie.ts";
import { applyMutations, mutations } from "../mutate.ts";
import { defineTarget, type FuzzTarget } from "../target.ts";
import { headerish } from "./cookies.ts";

export const NEW_SECRET = "fuzz-new-secret-0123456789abcdef";
export const OLD_SECRET = "fuzz-old-secret-0123456789abcdef";

const BASE64URL = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"];

/** tessera's ids: 32 bytes, base64url. */
const tesseraId = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString("base64url"));

/** Flask-Session's: token_urlsafe of any length (16 to 256 characters here), or a uuid4. */
const flaskSessionId = fc.oneof(
  fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 16, maxLength: 80 }),
  fc.uuid({ version: 4 }),
);

function transport(format: SessionFormat, secrets: string[], signIds = true): IdCookieTransport {
  const options = resolveOptions(
    format === "flask-session"
      ? { secret: secrets, store: memoryStore(), format, signIds }
      : { secret: secrets, store: memoryStore() },
  );
  return new IdCookieTransport(options);
}

/** The cookie value `write` sends for `id`. */
function issue(sender: IdCookieTransport, id: string): string {
  let header = "";
  const writer: CookieWriter = {
    set() {},
    delete() {},
    setSerialized(_name, _scope, serialized) {
      header = serialized;
    },
  };
  sender.write(writer, id, undefined, false);
  return header.slice("session=".length, header.indexOf(";"));
}

function read(reader: IdCookieTransport, header: string) {
  return reader.read(new Cookies(header, { requestIsSecure: false }));
}

function signedIdTarget(name: string, format: SessionFormat, id: fc.Arbitrary<string>): FuzzTarget {
  return defineTarget(
    name,
    "an issued cookie reads back its id (rotated when an older secret signed it); random headers read no id; a mutant is read only when the Cookie header still carries the issued value itself",
    () => {
      const reader = transport(format, [NEW_SECRET, OLD_SECRET]);
      const current = transport(format, [NEW_SECRET]);
      const old = transport(format, [OLD_SECRET]);
      return fc.property(
        fc.oneof(
          fc.record({
            kind: fc.constant("random" as const),
            header: fc.oneof(
              headerish,
              fc.string({ unit: "binary" }),
              fc.string().map((value) => `session=${value}`),
            ),
          }),
          fc.record({ kind: fc.constant("issued" as const), id, rotated: fc.boolean(), mutations }),
        ),
        (input) => {
          if (input.kind === "random") {
            assert.deepEqual(read(reader, input.header), []);
            return;
          }
          const value = issue(input.rotated ? old : current, input.id);
          assert.deepEqual(read(reader, `session=${value}`), [
            { id: input.id, rotated: input.rotated },
          ]);
          const header = `session=${applyMutations(value, input.mutations)}`;
          // The Cookie header layer percent-decodes (and may unwrap quotes): what reaches the
          // transport is each value the parser gives for the name.
          const sent = parseAllValues(header, "session");
          const found = read(reader, header);
          if (found.length > 0) {
            assert.ok(sent.includes(value), `${JSON.stringify(header)} was read as ${input.id}`);
            assert.deepEqual(found, [{ id: input.id, rotated: input.rotated }]);
          }
        },
      );
    },
  );
}

export const tesseraIdTarget = signedIdTarget("tessera-id", "id", tesseraId);
export const flaskSessionIdTarget = signedIdTarget(
  "flask-session-id",
  "flask-session",
  flaskSessionId,
);

export const unsignedFlaskSessionIdTarget: FuzzTarget = defineTarget(
  "flask-session-unsigned-id",
  "without SESSION_USE_SIGNER the cookie is the id: only a well-formed id (16-256 base64url characters) is read, exactly as sent",
  () => {
    const reader = transport("flask-session", [NEW_SECRET], false);
    return fc.property(
      fc.oneof(
        flaskSessionId,
        flaskSessionId.chain((id) => mutations.map((list) => applyMutations(id, list))),
        fc.string({ unit: "binary" }),
      ),
      (value) => {
        const header = `session=${value}`;
        const sent = parseAllValues(header, "session");
        for (const { id } of read(reader, header)) {
          assert.ok(sent.includes(id), `${JSON.stringify(id)} was not sent`);
          assert.match(id, /^[A-Za-z0-9_-]{16,256}$/);
        }
      },
    );
  },
);
