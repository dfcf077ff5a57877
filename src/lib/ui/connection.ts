/**
 * What the connection banner says: the state in words a person understands, with how many
 * messages and changes (edits, reactions, pins, deletes, chat settings) wait to be sent while the relay
 * cannot be reached.
 */
import type { ConnectionState } from '$lib/worker/protocol';

const counted = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);

/** "2 messages queued", "1 change queued", "2 messages and 1 change queued" (a change: an edit, a reaction, a pin, a delete, a chat setting). */
export function queuedText(queued: number, actions = 0): string {
  const parts = [queued > 0 ? counted(queued, 'message', 'messages') : '', actions > 0 ? counted(actions, 'change', 'changes') : ''].filter(Boolean);
  return `${parts.join(' and ')} queued`;
}

export function connectionText(state: ConnectionState, queued = 0, actions = 0): string {
  const base = state === 'offline' ? 'Waiting for network…' : state === 'connecting' ? 'Connecting…' : state === 'updating' ? 'Updating…' : '';
  if (!base) return '';
  return queued + actions > 0 && state !== 'updating' ? `${base} ${queuedText(queued, actions)}` : base;
}
