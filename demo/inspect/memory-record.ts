import type { SessionStore } from "../../src/stores/contract.ts";
import { type RecordReader, showTime } from "./record.ts";

/** The memory store's record: a JavaScript object in this process, with no outside tool to read it. */
export function memoryRecordReader(store: SessionStore): RecordReader {
  return async (id) => {
    const record = await store.get(id);
    const command = `store.get("${id}")`;
    if (record === undefined) return { command, found: false, fields: [] };
    return {
      command,
      found: true,
      fields: [
        ["data", JSON.stringify(record.data)],
        ["createdAt", showTime(record.createdAt)],
        ["expiresAt", showTime(record.expiresAt)],
      ],
      expiresAt: record.expiresAt,
      expiry: "sweep",
    };
  };
}
