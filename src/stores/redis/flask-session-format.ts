/**
 * The "flask-session" layout: a session is one string key, `<prefix><id>`, holding the session
 * dict as Flask-Session 0.7+ writes it (msgspec MessagePack by default, or JSON), with a TTL of
 * the remaining lifetime, so a Flask app using Flask-Session and a tessera app share sessions
 * through one Redis (docs/flask-session-format.md has the details and sources).
 *
 * - `_permanent` is Flask's `session.permanent`, an ordinary key to the store: the engine
 *   writes it when it creates a record with format "flask-session" (true or false, so Flask
 *   reads what tessera meant) and reads `session.permanent` from it, hiding it from the
 *   application's `keys()`. `clear` keeps it, as Flask-Session's `clear()` does.
 * - Flask-Session keeps no creation time, so `createdAt` reads as the time of the read.
 * - A record tessera cannot read (pickle from Flask-Session 0.6, corrupt bytes, a value that is
 *   not a map, another Redis type) is no session. What Python can write and JSON cannot hold
 *   reads as src/codecs/msgpack reads it: a key that is not text by the name JSON gives it (an
 *   int's digits, a float's repr, "null", "true"), an extension type as a MsgpackExtension.
 */

import { encodeMsgpack } from "../../codecs/msgpack/index.ts";
import type { ApplyOptions, SessionData, SessionPatch, StoredSession } from "../contract.ts";
import { decodeRecord, encodePatch, type FlaskSerializer } from "../flask-session/record.ts";
import type { Argument, RedisConnection } from "./connection.ts";
import {
  FLASK_APPLY,
  FLASK_DESTROY_IF_OWNED,
  FLASK_OWNED_BY,
  FLASK_RENAME,
} from "./flask-session-scripts.ts";
import { expiryOf, type RecordFormat } from "./record-format.ts";
import { runScript, type Script, scriptCall } from "./scripts.ts";
import { jsonSpellingsOf } from "./user-ids.ts";

export type { FlaskSerializer } from "../flask-session/record.ts";

export interface FlaskSessionFormatOptions {
  readonly serializer: FlaskSerializer;
  readonly userKey: string | undefined;
}

/** A script's answer when the record is in the other serialization. */
const OTHER_SERIALIZATION = -1;

export function flaskSessionFormat(
  connection: RedisConnection,
  options: FlaskSessionFormatOptions,
): RecordFormat {
  const { userKey } = options;
  const other: FlaskSerializer = options.serializer === "msgpack" ? "json" : "msgpack";

  function script(which: Script, keys: readonly string[], args: readonly Argument[]) {
    const command: Argument[] = scriptCall(which, keys);
    for (const arg of args) command.push(arg);
    const route = keys[0] as string;
    return runScript((call) => connection.binaryCommand(route, call), which, command);
  }

  /**
   * Runs a write encoded in the configured serialization; when the record turns out to be in
   * the other one, encodes the same write in that one and runs it again.
   */
  function writer(
    which: Script,
    keys: readonly string[],
    argsFor: (serializer: FlaskSerializer) => Argument[],
  ): () => Promise<boolean> {
    const first = argsFor(options.serializer);
    return async () => {
      let reply = await script(which, keys, first);
      if (reply === OTHER_SERIALIZATION) reply = await script(which, keys, argsFor(other));
      return reply === 1;
    };
  }

  /** The record under `key`; given the session's `id`, an unreadable one is reported. */
  async function load(
    key: string,
    id?: string,
  ): Promise<{ data: SessionData; remaining: unknown } | undefined> {
    // Two plain commands in one round trip, as the hash layout's read.
    const stored = connection.binaryCommand(key, ["GET", key]).catch(noValueOnWrongType);
    const remaining = connection.command(key, ["PTTL", key]);
    const [value, ttl] = await Promise.all([stored, remaining]);
    const data = decodeRecord(value, id === undefined ? undefined : { store: "redis", id });
    return data === undefined ? undefined : { data, remaining: ttl };
  }

  return {
    keyType: "string",
    keepsCreatedAt: false,

    async read(key, id): Promise<StoredSession | undefined> {
      const loaded = await load(key, id);
      if (loaded === undefined) return undefined;
      const now = Date.now();
      const expiresAt = expiryOf(loaded.remaining, now);
      if (expiresAt === undefined) return undefined;
      return { data: loaded.data, createdAt: now, expiresAt };
    },

    touch(key, expiresAt) {
      // PEXPIRE leaves a missing key missing, and a non-positive time deletes the key.
      const ttl = String(expiresAt - Date.now());
      return connection.command(key, ["PEXPIRE", key, ttl]).then((touched) => touched === 1);
    },

    prepareApply(key: string, patch: SessionPatch, applyOptions: ApplyOptions) {
      const ttl = String(applyOptions.expiresAt - Date.now());
      return writer(FLASK_APPLY, [key], (serializer) => {
        const args: Argument[] = [applyOptions.mustExist ? "1" : "0", ttl, serializer];
        // No entries a new record starts with: the engine's patch carries `_permanent`.
        args.push("0");
        return appendPatch(args, patch, serializer);
      });
    },

    prepareRename(fromKey, toKey, patch, expiresAt) {
      const ttl = String(expiresAt - Date.now());
      return writer(FLASK_RENAME, [fromKey, toKey], (serializer) =>
        appendPatch([ttl, serializer], patch, serializer),
      );
    },

    async times(key) {
      const remaining = await connection.command(key, ["PTTL", key]);
      const now = Date.now();
      const expiresAt = expiryOf(remaining, now);
      return expiresAt === undefined ? undefined : { createdAt: now, expiresAt };
    },

    async storedUser(key) {
      if (userKey === undefined) return undefined;
      const loaded = await load(key);
      return loaded !== undefined && Object.hasOwn(loaded.data, userKey)
        ? loaded.data[userKey]
        : undefined;
    },

    async ownedTimes(key, user) {
      const reply = await script(FLASK_OWNED_BY, [key], ownerArguments(userKey, user));
      if (typeof reply !== "number") return undefined;
      const now = Date.now();
      const expiresAt = expiryOf(reply, now);
      return expiresAt === undefined ? undefined : { createdAt: now, expiresAt };
    },

    async destroyIfOwned(key, user) {
      return (await script(FLASK_DESTROY_IF_OWNED, [key], ownerArguments(userKey, user))) === 1;
    },
  };
}

/**
 * Appends the patch as the scripts take it: clear flag, delete count, deleted keys, then one
 * name / encoded key / encoded value triple per key set (encodePatch encodes every value first,
 * so one that cannot be stored throws before anything is sent).
 */
function appendPatch(args: Argument[], patch: SessionPatch, serializer: FlaskSerializer) {
  const { clear, deleted, sets } = encodePatch(patch, serializer);
  args.push(clear ? "1" : "0", String(deleted.size));
  for (const key of deleted) args.push(key);
  for (const entry of sets) args.push(entry.name, entry.key, entry.value);
  return args;
}

/**
 * The OWNED scripts' arguments: the user key, then how the user id can be stored, as a string
 * or as a number, in MessagePack and then in JSON.
 */
function ownerArguments(userKey: string | undefined, user: string): Argument[] {
  const json = jsonSpellingsOf(user);
  const msgpack = [encodeMsgpack(user)];
  if (json.length > 1) msgpack.push(encodeMsgpack(Number(user)));
  return [userKey ?? "", String(msgpack.length), ...msgpack, ...json];
}

function noValueOnWrongType(error: unknown): null {
  if (error instanceof Error && error.message.startsWith("WRONGTYPE")) return null;
  throw error;
}
