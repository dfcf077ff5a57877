/**
 * "Data changed" events shared by every context of this device that writes the store: the workers of
 * other tabs and the service worker's background wake. Each page's worker passes them on to its page,
 * so an open screen re-reads what another context wrote (a row it was never told about stays off
 * screen until something reads the whole window again). `draft` names the chat whose draft another tab
 * stored or deleted, never its text: an open screen of it reads the draft from the store.
 */
import type { Purged } from '$lib/store/purge';
import type { Applied } from './cloud-sync';
import type { WorkerEvent } from './protocol';

/** What a cloud change touched (./cloud-sync.ts `Applied`, or less). */
export type CloudChange = Pick<Applied, 'changed' | 'peers' | 'list'> & Partial<Pick<Applied, 'edited' | 'read' | 'scheduled'>>;

export const SHARED: ReadonlySet<WorkerEvent['type']> = new Set(['chats', 'messages', 'peer', 'secret', 'draft', 'notice', 'scheduled']);

/** The device's data channel, or null where BroadcastChannel is missing. */
export const dataChannel = (): BroadcastChannel | null => (typeof BroadcastChannel === 'function' ? new BroadcastChannel('cinder-data') : null);

/**
 * Listens to the other contexts: each change they show goes to `show` (this tab's page); a change of
 * messages may carry a deadline they set (a tab closed before it fired), so `deadlinesMayMove` too.
 */
export function followPeers(channel: BroadcastChannel | null, show: (e: WorkerEvent) => void, deadlinesMayMove: () => void): void {
  channel?.addEventListener('message', (ev: MessageEvent) => {
    const e = ev.data as WorkerEvent | null;
    if (!e || typeof e !== 'object' || !SHARED.has(e.type)) return;
    if (e.type === 'draft' && typeof e.chat !== 'string') return;
    if (e.type === 'scheduled' && typeof e.peerId !== 'string') return;
    // Shown as text (never markup) in the banner: a short string only.
    if (e.type === 'notice' && !(typeof e.text === 'string' && e.text.length <= 500)) return;
    // Ids the page asks the worker for: strings only (the call's own check refuses a malformed one).
    if (e.type === 'messages' && e.edited !== undefined && !(Array.isArray(e.edited) && e.edited.every((id) => typeof id === 'string'))) return;
    // A seq the page compares with its rows' (my messages up to it show as read).
    if (e.type === 'messages' && e.peerRead !== undefined && !(Number.isSafeInteger(e.peerRead) && e.peerRead >= 0)) return;
    show(e);
    if (e.type === 'secret' || e.type === 'messages') deadlinesMayMove();
  });
}

/** Tells the other contexts about `e` if it is a change they show. */
export function share(channel: BroadcastChannel | null, e: WorkerEvent): void {
  if (SHARED.has(e.type)) channel?.postMessage(e);
}

/**
 * The events a cloud change makes: the chat list, each changed chat's messages (with the ids an edit
 * changed, and the peer's read marker where it moved), each changed peer, each chat whose scheduled
 * messages changed.
 */
export function cloudEvents({ changed, peers, list, edited, read, scheduled }: CloudChange): WorkerEvent[] {
  const events: WorkerEvent[] = list ? [{ type: 'chats' }] : [];
  for (const peerId of changed) {
    const ids = edited?.get(peerId);
    const peerRead = read?.get(peerId);
    events.push({ type: 'messages', peerId, ...(ids?.length ? { edited: ids } : {}), ...(peerRead !== undefined ? { peerRead } : {}) });
  }
  for (const peerId of peers) events.push({ type: 'peer', peerId });
  for (const peerId of scheduled ?? []) events.push({ type: 'scheduled', peerId });
  return events;
}

/** What a purge deleted, as events: the secret rows by chat, the cloud chats that lost a timed file, the list. */
export function purgeEvents({ chats, removed, cloudPeers }: Purged): WorkerEvent[] {
  const events: WorkerEvent[] = [...chats].map((chatId) => ({ type: 'secret', chatId, rows: removed.get(chatId) }));
  // Timed cloud photos and videos: the relay deletes them at the same deadline (a delete update follows).
  for (const peerId of cloudPeers) events.push({ type: 'messages', peerId });
  if (chats.size || cloudPeers.size) events.push({ type: 'chats' });
  return events;
}
