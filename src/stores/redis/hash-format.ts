/**
 * The default layout: one hash per session, one field per session key holding its value as
 * JSON, plus `@created`. A patch sets and deletes fields in one script (see scripts.ts).
 */
import type { ApplyOptions, SessionPatch } from "../contract.ts";
import type { RedisConnection } from "./connection.ts";
import { CREATED_FIELD, fieldOf } from "./layout.ts";
import { expiryOf, type RecordFormat } from "./record-format.ts";
import { appendPatchArguments, noSessionOnWrongType, recordFromHash } from "./records.ts";
import {
  APPLY,
  DESTROY_IF_OWNED,
  OWNED_BY,
  RENAME,
  runScript,
  type Script,
  scriptCall,
} from "./scripts.ts";
import { jsonSpellingsOf } from "./user-ids.ts";

export function hashFormat(connection: RedisConnection, userKey: string | undefined): RecordFormat {
  const userField = userKey === undefined ? "" : fieldOf(userKey);

  /** Sends a call made by `scriptCall`, routed by its first key. */
  function send(which: Script, keys: readonly string[], command: string[]) {
    const route = keys[0] as string;
    return runScript((args) => connection.command(route, args), which, command);
  }

  function script(which: Script, keys: readonly string[], args: readonly string[]) {
    const command = scriptCall(which, keys);
    for (const arg of args) command.push(arg);
    return send(which, keys, command);
  }

  return {
    keyType: "hash",
    keepsCreatedAt: true,

    read(key, id) {
      // Two plain commands in one round trip (the client pipelines them): far cheaper for
      // Redis than a script, and a key deleted between them reads as gone.
      const fields = connection
        .command(key, ["HGETALL", key])
        .catch((error: unknown) => noSessionOnWrongType(error, id));
      const remaining = connection.command(key, ["PTTL", key]);
      // Promise.all handles both rejections: a failed PTTL must not leave HGETALL's failure
      // unhandled (an unhandled rejection ends a Node process by default).
      return Promise.all([fields, remaining]).then(([hash, ttl]) =>
        recordFromHash(hash, ttl, Date.now(), id),
      );
    },

    prepareApply(key: string, patch: SessionPatch, options: ApplyOptions) {
      const keys = [key];
      const command = scriptCall(APPLY, keys);
      command.push(
        options.mustExist ? "1" : "0",
        String(options.expiresAt - Date.now()),
        String(options.createdAt),
      );
      // Values are encoded first: one that cannot be stored rejects with nothing sent.
      appendPatchArguments(command, patch);
      return async () => (await send(APPLY, keys, command)) === 1;
    },

    prepareRename(fromKey, toKey, patch, expiresAt) {
      const keys = [fromKey, toKey];
      const command = scriptCall(RENAME, keys);
      command.push(String(expiresAt - Date.now()));
      appendPatchArguments(command, patch);
      return async () => (await send(RENAME, keys, command)) === 1;
    },

    async times(key) {
      const [created, remaining] = await Promise.all([
        connection.command(key, ["HGET", key, CREATED_FIELD]),
        connection.command(key, ["PTTL", key]),
      ]);
      const expiresAt = expiryOf(remaining, Date.now());
      if (expiresAt === undefined || typeof created !== "string") return undefined;
      return { createdAt: Number(created), expiresAt };
    },

    async storedUser(key) {
      const stored = await connection
        .command(key, ["HGET", key, userField])
        .catch(noSessionOnWrongType);
      return typeof stored === "string" ? parseJson(stored) : undefined;
    },

    async ownedTimes(key, user) {
      const reply = await script(OWNED_BY, [key], [userField, ...jsonSpellingsOf(user)]);
      if (!Array.isArray(reply) || reply.length !== 2) return undefined;
      const expiresAt = expiryOf(reply[1], Date.now());
      if (expiresAt === undefined) return undefined;
      return { createdAt: Number(reply[0]), expiresAt };
    },

    async destroyIfOwned(key, user) {
      return (await script(DESTROY_IF_OWNED, [key], [userField, ...jsonSpellingsOf(user)])) === 1;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
