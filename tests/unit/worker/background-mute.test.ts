// A muted chat's new messages raise no notification: a wake drops their notices (cloud and secret),
// and a push whose every message is in a muted chat shows only the quiet notice it must show.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { MUTED_FOREVER } from '$lib/api/limits';
import { openStore } from '$lib/store/db';
import { backgroundWake } from '$lib/worker/background';
import { onPush, type SwScope } from '$lib/worker/sw-wake';
import { chatRow, secretChatRow } from '../support/chat-rows';

const wake = vi.hoisted(() => ({ secret: [] as string[], cloud: [] as string[] }));
vi.mock('$lib/worker/secret', () => ({
  SecretEngine: class {
    async pull() {
      return { chats: new Map(wake.secret.map((id) => [id, 1])) };
    }
    async flush() {}
    async registerWakeups() {}
    stop() {}
  }
}));
vi.mock('$lib/worker/cloud-sync', () => ({
  pullUpdates: async (_db: unknown, _vault: unknown, _me: string, onApplied: (a: object) => void) =>
    onApplied({
      changed: new Set(),
      peers: new Set(),
      fresh: wake.cloud.map((id) => ({ peer: { id, username: id, displayName: id.toUpperCase() }, text: 'hi' })),
      rejected: [],
      list: false
    })
}));
vi.mock('$lib/worker/outbox', () => ({ flushOutbox: async () => undefined }));

async function seed() {
  const { db } = await openStore();
  await db.meta.put({ key: 'session', value: { user: { id: 'u-me', username: 'me', displayName: 'Me' }, device: { id: 'd-me', name: 'm' } } });
  await db.chats.bulkPut([chatRow('muted', { mutedUntil: MUTED_FOREVER }), chatRow('was-muted', { mutedUntil: Date.now() - 1 }), chatRow('loud')]);
  await db.secretChats.bulkPut([secretChatRow('s-muted', { mutedUntil: Date.now() + 3600_000 }), secretChatRow('s-loud')]);
  return db;
}

describe('a wake with messages in muted chats', () => {
  it('notifies only the chats not muted now', async () => {
    (await seed()).close();
    wake.secret = ['s-muted', 's-loud'];
    wake.cloud = ['muted', 'was-muted', 'loud'];
    const notices = await backgroundWake('sync');
    expect(notices.map((n) => n.tag).sort()).toEqual(['chat-loud', 'chat-was-muted', 'secret-s-loud']);
  });

  it('a push about muted chats only shows the quiet notice', async () => {
    const db = await seed();
    wake.secret = ['s-muted'];
    wake.cloud = ['muted'];
    const shown: (string | undefined)[] = [];
    const sw: SwScope = {
      db: () => db,
      windows: async () => [],
      notifications: { showNotification: async (_t: string, o?: NotificationOptions) => void shown.push(o?.tag), getNotifications: async () => [] },
      extend: () => undefined
    };
    await onPush(sw, '{"t":"envelope"}');
    await onPush(sw, '{"t":"update"}');
    expect(shown).toEqual(['cinder-maintenance', 'cinder-maintenance']);
    db.close();
  });
});
