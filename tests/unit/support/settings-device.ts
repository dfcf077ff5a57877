/** A device for tests of a cloud chat's settings (pin, mute, archive, unread mark) kept over the relay. */
import type { ChatRow } from '$lib/store/db';
import { chatViews } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import type { WorkerEvent } from '$lib/worker/protocol';
import { unlockedStore } from './store';
import { ME, msg } from './cloud-updates';
import { cloudQueue, stubRelay } from './relay-stub';

/**
 * Bob's chat stored with his message 1 read (and `chat` on its row), and a relay stub (`answer`;
 * undefined: offline) recording its calls. The handlers' own flush does nothing: tests flush.
 */
export async function settingsDevice(name: string, chat: Partial<ChatRow> = {}) {
  const { db, vault } = await unlockedStore(name);
  await applyUpdates(db, vault, ME, [msg(1, 'bob')]);
  await db.chats.update('bob', { readSentSeq: 1, myReadSeq: 1, ...chat });
  const events: WorkerEvent[] = [];
  const { calls, relay } = stubRelay();
  const ctx = { db, vault, me: ME, emit: (e: WorkerEvent) => events.push(e), flush: async () => {} };
  const { flush, queue } = cloudQueue(db, vault, events);
  const listed = async () => (await chatViews(db, vault, ME)).find((c) => c.id === 'bob');
  return { db, vault, ctx, events, calls, relay, flush, queue, listed };
}
