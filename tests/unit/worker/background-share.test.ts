// A service-worker wake stores rows while a page may be open (Background Sync fires then too): what it
// stores is announced on the device's data channel, which every page's worker passes to its page.
// Before, its events went nowhere and a chat on screen never showed those rows.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import { backgroundWake } from '$lib/worker/background';
import type { WorkerEvent } from '$lib/worker/protocol';
import type { SecretContext } from '$lib/worker/secret';

vi.mock('$lib/worker/secret', () => ({
  SecretEngine: class {
    constructor(private readonly ctx: SecretContext) {}
    async pull() {
      this.ctx.emit({ type: 'secret', chatId: 'chat-1', rows: ['row-1', 'row-2'] });
      this.ctx.emit({ type: 'typing', peerId: 'u-alice', chatId: 'chat-1' }); // not a stored change: not shared
      return { chats: new Map() };
    }
    async flush() {}
    async registerWakeups() {}
    stop() {}
  }
}));
vi.mock('$lib/worker/cloud-sync', () => ({
  pullUpdates: async (_db: unknown, _vault: unknown, _me: string, onApplied: (a: object) => void) =>
    onApplied({ changed: new Set(['peer-1']), peers: new Set(), fresh: [], rejected: [], list: true })
}));
vi.mock('$lib/worker/outbox', () => ({
  flushOutbox: async (_db: unknown, _vault: unknown, onChanged: (peerId: string, peerChanged?: boolean) => void) => onChanged('peer-2', true)
}));

describe('a service-worker wake', () => {
  it('shares what it stored with the open pages, and only stored changes', async () => {
    const { db } = await openStore();
    await db.meta.put({ key: 'session', value: { user: { id: 'u-bob', username: 'bob', displayName: 'Bob' }, device: { id: 'd-bob', name: 'b' } } });
    db.close();
    const heard: WorkerEvent[] = [];
    const channel = new BroadcastChannel('cinder-data');
    channel.addEventListener('message', (ev: MessageEvent) => heard.push(ev.data as WorkerEvent));
    await backgroundWake('sync');
    const expected: WorkerEvent[] = [
      { type: 'secret', chatId: 'chat-1', rows: ['row-1', 'row-2'] },
      { type: 'chats' },
      { type: 'messages', peerId: 'peer-1' },
      { type: 'chats' },
      { type: 'messages', peerId: 'peer-2' },
      { type: 'peer', peerId: 'peer-2' }
    ];
    await vi.waitFor(() => expect(heard).toEqual(expected));
    channel.close();
  });
});
