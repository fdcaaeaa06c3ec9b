/**
 * The engine's side of src/diagnostics.ts: each function publishes one event, and returns at
 * once when no one subscribes, before building a message or hashing an id. The flows call them
 * at the points where the session's fate is decided, so an event means what happened, not what
 * was attempted: a commit is published after the store acknowledged it.
 */
import {
  channels,
  type SessionCommitMessage,
  type SessionDestroyMessage,
  type SessionLoadMessage,
  type SessionRegenerateMessage,
  type SessionTouchMessage,
  sessionRefOf,
} from "../diagnostics.ts";
import type { SessionFormat } from "./options.ts";

function refOf(id: string | undefined): string | undefined {
  return id === undefined ? undefined : sessionRefOf(id);
}

export function publishLoad(format: SessionFormat, found: boolean, id: string | undefined): void {
  if (!channels.load.hasSubscribers) return;
  const message: SessionLoadMessage = { format, found, sessionRef: refOf(id) };
  channels.load.publish(message);
}

export function publishCommit(
  format: SessionFormat,
  kind: SessionCommitMessage["kind"],
  id: string | undefined,
): void {
  if (!channels.commit.hasSubscribers) return;
  const message: SessionCommitMessage = { format, kind, sessionRef: refOf(id) };
  channels.commit.publish(message);
}

export function publishTouch(
  format: SessionFormat,
  id: string | undefined,
  expiresAt: number,
): void {
  if (!channels.touch.hasSubscribers) return;
  const message: SessionTouchMessage = { format, sessionRef: refOf(id), expiresAt };
  channels.touch.publish(message);
}

export function publishRegenerate(format: SessionFormat, fromId: string, toId: string): void {
  if (!channels.regenerate.hasSubscribers) return;
  const message: SessionRegenerateMessage = {
    format,
    fromRef: sessionRefOf(fromId),
    toRef: sessionRefOf(toId),
  };
  channels.regenerate.publish(message);
}

export function publishDestroy(
  format: SessionFormat,
  id: string | undefined,
  cause: SessionDestroyMessage["cause"],
): void {
  if (!channels.destroy.hasSubscribers) return;
  const message: SessionDestroyMessage = { format, sessionRef: refOf(id), cause };
  channels.destroy.publish(message);
}
