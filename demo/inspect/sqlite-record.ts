import { DatabaseSync } from "node:sqlite";
import { type RecordReader, showTime } from "./record.ts";

/**
 * The row of a session in the SQLite file, read over a second, read-only connection, as the
 * `sqlite3` shell would show it. The connection opens on the first read, after the store has
 * made the file and its table.
 */
export function sqliteRecordReader(path: string, table = "tessera_sessions"): RecordReader {
  let db: DatabaseSync | undefined;
  return async (id) => {
    db ??= new DatabaseSync(path, { readOnly: true });
    const row = db
      .prepare(`SELECT id, data, created_at, expires_at FROM "${table}" WHERE id = ?`)
      .get(id) as { id: string; data: string; created_at: number; expires_at: number } | undefined;
    const command = `sqlite3 ${path} "SELECT * FROM ${table} WHERE id = '${id}'"`;
    if (row === undefined) return { command, found: false, fields: [] };
    return {
      command,
      found: true,
      fields: [
        ["id", row.id],
        ["data", row.data],
        ["created_at", showTime(row.created_at)],
        ["expires_at", showTime(row.expires_at)],
      ],
      // SQLite has no TTL: the row stays until a sweep, but reads refuse it after expires_at.
      expiresAt: row.expires_at,
      expiry: "sweep",
    };
  };
}
