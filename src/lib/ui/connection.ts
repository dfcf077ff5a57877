/**
 * What the connection banner says: the state in words a person understands, with how many
 * messages wait to be sent while the relay cannot be reached.
 */
import type { ConnectionState } from '$lib/worker/protocol';

export function queuedText(queued: number): string {
  return queued === 1 ? '1 message queued' : `${queued} messages queued`;
}

export function connectionText(state: ConnectionState, queued = 0): string {
  const base = state === 'offline' ? 'Waiting for network…' : state === 'connecting' ? 'Connecting…' : state === 'updating' ? 'Updating…' : '';
  if (!base) return '';
  return queued > 0 && state !== 'updating' ? `${base} ${queuedText(queued)}` : base;
}
