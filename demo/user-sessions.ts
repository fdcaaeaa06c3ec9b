/**
 * A user's sessions, for "Your sessions" and "log out everywhere". A store with a per-user
 * index (Redis, PostgreSQL) answers in one call; on the others (SQLite, memory) the demo reads
 * every session and keeps this user's, up to SCAN_LIMIT: fine for a demo, not for a big site.
 */
import { hasUserIndex, type SessionStore } from "../src/stores/contract.ts";
import type { SessionRow } from "./pages/sessions.ts";

const SCAN_LIMIT = 10_000;
const USER_AGENT_KEY = "userAgent";

export interface UserSessions {
  readonly rows: SessionRow[];
  readonly indexed: boolean;
}

/** Ids of the live sessions whose `username` is this user's. */
async function idsOf(store: SessionStore, username: string): Promise<string[]> {
  const summaries = hasUserIndex(store)
    ? store.listByUser(username)
    : store.list({ limit: SCAN_LIMIT });
  const ids: string[] = [];
  for await (const summary of summaries) ids.push(summary.id);
  return ids;
}

export async function sessionsOf(
  store: SessionStore,
  username: string,
  currentId: string,
  lifetimeMs: number,
): Promise<UserSessions> {
  const rows: SessionRow[] = [];
  for (const id of await idsOf(store, username)) {
    const record = await store.get(id);
    if (record === undefined || record.data.username !== username) continue;
    const agent = record.data[USER_AGENT_KEY];
    rows.push({
      id,
      current: id === currentId,
      createdAt: record.createdAt,
      lastSeenAt: record.expiresAt - lifetimeMs,
      expiresAt: record.expiresAt,
      userAgent: typeof agent === "string" ? agent : undefined,
    });
  }
  rows.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  return { rows, indexed: hasUserIndex(store) };
}

/** Ends session `id` if it is this user's; resolves to whether it was. */
export async function revokeOwn(
  store: SessionStore,
  username: string,
  id: string,
): Promise<boolean> {
  const record = await store.get(id);
  if (record === undefined || record.data.username !== username) return false;
  await store.destroy(id);
  return true;
}

/** Ends every session of this user; resolves to how many ended. */
export async function revokeAll(store: SessionStore, username: string): Promise<number> {
  if (hasUserIndex(store)) return store.revokeUser(username);
  let ended = 0;
  for (const id of await idsOf(store, username)) {
    if (await revokeOwn(store, username, id)) ended++;
  }
  return ended;
}

/** The browser's User-Agent, kept with the session so the list can tell sessions apart. */
export function userAgentOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : header.slice(0, 200);
}
