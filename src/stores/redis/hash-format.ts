/**
 * The default layout: one hash per session, one field per session key holding its value as
 * JSON, plus `@created`. A patch sets and deletes fields in one script (see scripts.ts).
 */
import type { ApplyOptions, SessionPatch } from "../contract.ts";
import type { RedisConnection } from "./connection.ts";
import { CREATED_FIELD, fieldOf } from "./layout.ts";
import { expiryOf, type RecordFormat } from "./record-format.ts";
import {
  appendPatchArguments,
  holdsExpiry,
  noSessionOnWrongType,
  recordFromHash,
} from "./records.ts";
import {
  APPLY,
  DESTROY_IF_OWNED,
  OWNED_BY,
  RENAME,
  runScript,
  type Script,
  scriptCall,
  TOUCH,
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
      // One plain command: the hash holds its own expiry (`@expires`).
      return connection
        .command(key, ["HGETALL", key])
        .catch((error: unknown) => noSessionOnWrongType(error, id))
        .then((hash) => {
          if (!Array.isArray(hash) || hash.length === 0) return undefined;
          if (holdsExpiry(hash)) return recordFromHash(hash, undefined, Date.now(), id);
          // Written before `@expires` existed: the key's TTL says when it ends.
          return connection
            .command(key, ["PTTL", key])
            .then((ttl) => recordFromHash(hash, ttl, Date.now(), id));
        });
    },

    touch(key, expiresAt) {
      const ttl = String(expiresAt - Date.now());
      return script(TOUCH, [key], [ttl, String(expiresAt)]).then((touched) => touched === 1);
    },

    prepareApply(key: string, patch: SessionPatch, options: ApplyOptions) {
      const keys = [key];
      const command = scriptCall(APPLY, keys);
      command.push(
        options.mustExist ? "1" : "0",
        String(options.expiresAt - Date.now()),
        String(options.expiresAt),
        String(options.createdAt),
      );
      // Values are encoded first: one that cannot be stored rejects with nothing sent.
      appendPatchArguments(command, patch);
      return async () => (await send(APPLY, keys, command)) === 1;
    },

    prepareRename(fromKey, toKey, patch, expiresAt) {
      const keys = [fromKey, toKey];
      const command = scriptCall(RENAME, keys);
      command.push(String(expiresAt - Date.now()), String(expiresAt));
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
