import { randomBytes } from "node:crypto";

/** 32 random bytes: 256 bits, so ids can be neither guessed nor enumerated. */
const SESSION_ID_BYTES = 32;
/** The base64url spelling of 32 bytes. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

// Ids are drawn from a pooled buffer: one getrandom call serves 128 sessions, which keeps
// session creation off the syscall path without weakening the randomness of any id.
const POOL_SIZE = SESSION_ID_BYTES * 128;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

export function newSessionId(): string {
  if (offset + SESSION_ID_BYTES > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = pool.toString("base64url", offset, offset + SESSION_ID_BYTES);
  // Zero what was used so an id never lingers in the pool after it is handed out.
  pool.fill(0, offset, offset + SESSION_ID_BYTES);
  offset += SESSION_ID_BYTES;
  return id;
}

export function isWellFormedSessionId(id: string): boolean {
  return SESSION_ID_PATTERN.test(id);
}
