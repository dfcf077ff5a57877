/**
 * "Data changed" events shared by every context of this device that writes the store: the workers of
 * other tabs and the service worker's background wake. Each page's worker passes them on to its page,
 * so an open screen re-reads what another context wrote (a row it was never told about stays off
 * screen until something reads the whole window again).
 */
import type { WorkerEvent } from './protocol';

export const SHARED: ReadonlySet<WorkerEvent['type']> = new Set(['chats', 'messages', 'peer', 'secret']);

/** The device's data channel, or null where BroadcastChannel is missing. */
export const dataChannel = (): BroadcastChannel | null => (typeof BroadcastChannel === 'function' ? new BroadcastChannel('cinder-data') : null);

/** Tells the other contexts about `e` if it is a change they show. */
export function share(channel: BroadcastChannel | null, e: WorkerEvent): void {
  if (SHARED.has(e.type)) channel?.postMessage(e);
}
