/**
 * The engine end to end, as an adapter drives it: `begin` with a hostile Cookie header, then
 * `session()` and `commit(200)`, in each format. Whatever the header, the request gets the
 * issued session only when the header still carries the issued cookie value itself, a fresh
 * session (never with an id the client chose) otherwise, and nothing thrown but a TesseraError.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAllValues } from "../../../src/cookies/parse.ts";
import { createSessions } from "../../../src/engine/manager.ts";
import type { SessionFormat, SessionOptions } from "../../../src/engine/options.ts";
import type { Session } from "../../../src/session/session.ts";
import { memoryStore } from "../../../src/stores/memory.ts";
import { applyMutations, mutations } from "../mutate.ts";
import { assertTesseraError, defineTarget, type FuzzTarget } from "../target.ts";
import { headerish } from "./cookies.ts";
import { NEW_SECRET, OLD_SECRET } from "./ids.ts";

/** What the handler does with the session before the commit. */
type Action =
  | { readonly kind: "none" | "read" | "destroy" | "regenerate" | "clear" }
  | { readonly kind: "set"; readonly key: string; readonly value: unknown };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom("none", "read", "destroy", "regenerate", "clear") }),
  fc.record({
    kind: fc.constant("set" as const),
    // A few keys only: the issued session's record gains them and must not grow without end.
    key: fc.constantFrom("cart", "n", "__proto__", "constructor", "_permanent", ""),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

/** Junk cookies around the session cookie, as a browser or an attacker may send them. */
const around = fc.oneof(fc.constant(""), headerish, fc.string({ maxLength: 20 }));

const input = fc.oneof(
  fc.record({
    kind: fc.constant("random" as const),
    header: fc.oneof(
      headerish,
      fc.string({ unit: "binary" }),
      fc.string().map((v) => `session=${v}`),
    ),
    action,
  }),
  fc.record({ kind: fc.constant("issued" as const), action }),
  fc.record({
    kind: fc.constant("mutant" as const),
    mutations,
    before: around,
    after: around,
    action,
  }),
);

function optionsFor(format: SessionFormat): SessionOptions {
  const secret = [NEW_SECRET, OLD_SECRET];
  switch (format) {
    case "id":
      return { secret, store: memoryStore() };
    case "flask-session":
      return { secret, store: memoryStore(), format };
    case "flask":
    case "sealed":
      return { secret, format };
  }
}

function engineTarget(format: SessionFormat): FuzzTarget {
  const inStore = format === "id" || format === "flask-session";
  return defineTarget(
    `engine-${format}`,
    `format "${format}": any Cookie header gives the issued session only if the header carries its cookie value unchanged, else a fresh session${inStore ? " with an id of its own" : ""}; session() and commit(200) throw nothing but a TesseraError`,
    async () => {
      const sessions = createSessions(optionsFor(format));
      const first = sessions.begin({ cookieHeader: undefined, encrypted: false });
      (await first.session()).set("user", "ada");
      const setCookie = (await first.commit(200)).setCookie[0] ?? "";
      const issued = setCookie.slice("session=".length, setCookie.indexOf(";"));
      return fc.asyncProperty(input, async (request) => {
        const header =
          request.kind === "random"
            ? request.header
            : request.kind === "issued"
              ? `session=${issued}`
              : [
                  request.before,
                  `session=${applyMutations(issued, request.mutations)}`,
                  request.after,
                ]
                  .filter((part) => part !== "")
                  .join("; ");
        const sent = parseAllValues(header, "session");
        const scope = sessions.begin({ cookieHeader: header, encrypted: false });
        let session: Session;
        try {
          session = await scope.session();
        } catch (error) {
          assertTesseraError(error);
          scope.discard();
          return;
        }
        if (session.isNew) {
          assert.notEqual(request.kind, "issued", "the issued cookie must load its session");
          if (inStore) {
            const chosen = sent.map((value) => value.split(".")[0]);
            assert.ok(!chosen.includes(session.id), "a fresh session never takes the client's id");
          }
        } else {
          assert.ok(sent.includes(issued), `${JSON.stringify(header)} loaded the issued session`);
          assert.equal(session.get("user"), "ada");
        }
        try {
          act(session, request.action);
          await scope.commit(200);
        } catch (error) {
          assertTesseraError(error);
        }
      });
    },
  );
}

/** Does what the handler asked, sparing the issued session (later inputs still need it). */
function act(session: Session, action: Action): void {
  const spare = !session.isNew;
  switch (action.kind) {
    case "none":
      return;
    case "read":
      session.get("user");
      return;
    case "set":
      session.set(action.key, action.value as never);
      return;
    default:
      if (spare) return;
      if (action.kind === "destroy") session.destroy();
      else if (action.kind === "regenerate") session.regenerate();
      else session.clear();
  }
}

export const engineTargets: readonly FuzzTarget[] = (
  ["id", "flask-session", "flask", "sealed"] as const
).map(engineTarget);
