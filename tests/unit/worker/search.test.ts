import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { places } from '$lib/store/places';
import type { CinderDB, MessageRow, SecretMessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import type { CloudMedia } from '$lib/api/wire';
import { sealMessage } from '$lib/worker/cloud';
import type { CoreContext } from '$lib/worker/rpc/context';
import { searchHandlers as h } from '$lib/worker/rpc/search';
import type { SecretBody } from '$lib/worker/secret/payload';
import { ME, uuid } from '../support/cloud-updates';
import { unlockedStore } from '../support/store';

let n = 0;
const context = (db: CinderDB, vault: Vault) =>
  ({ db, vault, me: ME, emit: () => {}, flush: async () => {}, sendFrame: () => {}, secretModule: () => import('$lib/worker/secret') }) as unknown as CoreContext;

const file = (name: string, voice = false) => ({
  blobId: 'b',
  key: 'k'.repeat(43),
  name,
  mime: voice ? 'audio/webm' : 'application/pdf',
  size: 1,
  ...(voice ? { voice: { duration: 1, waveform: [1, 2] } } : {})
});

async function secretRow(vault: Vault, i: number, body: Partial<SecretBody>, extra: Partial<SecretMessageRow> = {}): Promise<SecretMessageRow> {
  const id = uuid(i);
  const box = await vault.seal(places.secretMessage(id), { kind: 'text', text: '', replyTo: null, ttl: 0, ...body });
  return { id, chatId: 'c1', at: 1000 + i, mine: i % 2 === 0, status: 'sent', ttl: 0, blobId: null, box, ...extra };
}

async function cloudRow(vault: Vault, i: number, text: string, media: CloudMedia | null = null, seq = i): Promise<MessageRow> {
  return sealMessage(vault, { id: uuid(i), peerId: 'bob', seq, senderId: ME, senderDeviceId: 'd', text, replyTo: null, createdAt: 1000 + i, media });
}

const media = (name: string, voice = false): CloudMedia => ({
  id: uuid(900),
  mime: voice ? 'audio/webm' : 'application/pdf',
  name,
  size: 1,
  ttl: 0,
  openedAt: null,
  deadline: null,
  ...(voice ? { voice: { duration: 1, waveform: [1, 2] } } : {})
});

describe('search inside a chat', () => {
  it('finds a secret chat’s texts, captions and file names, newest first, never burned, service or other chats’ rows', async () => {
    const { db, vault } = await unlockedStore(`search-secret-${n++}`);
    const ctx = context(db, vault);
    const rows = [
      await secretRow(vault, 1, { text: 'Lunch at the Café?' }),
      await secretRow(vault, 2, { text: 'nothing here' }),
      await secretRow(vault, 3, { text: 'the menu', file: file('cafe-menu.pdf') }),
      await secretRow(vault, 4, { text: 'cafe photo caption', file: file('IMG_1.jpg') }),
      // A voice message's made-up name is not searched.
      await secretRow(vault, 5, { text: '', file: file('cafe-voice.webm', true) }),
      // Burned (its deadline passed, not purged yet).
      await secretRow(vault, 6, { text: 'the cafe, secretly', ttl: 5 }, { ttl: 5, deadline: Date.now() - 1 }),
      await secretRow(vault, 7, { kind: 'service', service: 'cleared', text: 'cafe' }),
      await secretRow(vault, 8, { text: 'CAFE   again' }),
      { ...(await secretRow(vault, 9, { text: 'cafe elsewhere' })), chatId: 'c2' }
    ];
    // Row 9 is sealed for its id, moved to another chat: never part of c1's answer.
    await db.secretMessages.bulkPut(rows);
    const found = await h.searchChat(ctx, { kind: 'secret', id: 'c1', query: 'cafe' });
    expect(found).toEqual({ ids: [uuid(8), uuid(4), uuid(3), uuid(1)], more: false, partial: false });
    expect(await h.searchChat(ctx, { kind: 'secret', id: 'c1', query: 'c' })).toEqual({ ids: [], more: false, partial: false });
    expect((await h.searchChat(ctx, { kind: 'secret', id: 'c1', query: 'zebra' })).ids).toEqual([]);

    // The window around a result: older rows, it, newer rows.
    const around = await h.secretMessagesAround(ctx, { id: 'c1', messageId: uuid(4) });
    expect(around?.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(uuid));
    expect([around?.hasMore, around?.hasNewer]).toEqual([false, false]);
    expect(await h.secretMessagesAround(ctx, { id: 'c1', messageId: uuid(9) })).toBeNull();
    db.close();
  });

  it('reads a long secret chat in chunks, caps the answer, and a newer search of the chat supersedes an older one', async () => {
    const { db, vault } = await unlockedStore(`search-secret-long-${n++}`);
    const ctx = context(db, vault);
    const rows = await Promise.all(Array.from({ length: 1100 }, (_, i) => secretRow(vault, i + 1, { text: `note ${i + 1}` })));
    await db.secretMessages.bulkPut(rows);
    const all = await h.searchChat(ctx, { kind: 'secret', id: 'c1', query: 'note' });
    expect(all.ids.length).toBe(1000);
    expect(all.more).toBe(true);
    expect(all.ids[0]).toBe(uuid(1100));
    const [old, fresh] = await Promise.all([
      h.searchChat(ctx, { kind: 'secret', id: 'c1', query: 'note 1' }),
      h.searchChat(ctx, { kind: 'secret', id: 'c1', query: 'note 7' })
    ]);
    expect(old.ids).toEqual([]);
    // note 7, 70…79, 700…799: newest first.
    expect(fresh.ids.length).toBe(111);
    expect([fresh.ids[0], fresh.ids.at(-1)]).toEqual([uuid(799), uuid(7)]);

    // Around a message far back: a page on each side, more either way.
    const around = await h.secretMessagesAround(ctx, { id: 'c1', messageId: uuid(100) });
    expect(around?.messages.map((m) => m.id)).toEqual(Array.from({ length: 51 }, (_, i) => uuid(75 + i)));
    expect([around?.hasMore, around?.hasNewer]).toEqual([true, true]);
    db.close();
  });

  it('finds a cloud chat’s stored messages and outbox, newest first, and says when older history is not on this device', async () => {
    const { db, vault } = await unlockedStore(`search-cloud-${n++}`);
    const ctx = context(db, vault);
    await db.chats.put({ peerId: 'bob', peer: { id: 'bob', username: 'bob', displayName: 'Bob' }, lastAt: 0, myReadSeq: 0, readSentSeq: 0, peerReadSeq: 0, unread: 0 });
    const pending = await cloudRow(vault, 20, 'a pending Straße note', null, 0);
    await db.messages.bulkPut([
      await cloudRow(vault, 3, 'Straße one'),
      await cloudRow(vault, 4, 'see the file', media('strasse-map.pdf')),
      await cloudRow(vault, 5, '', media('strasse.webm', true)),
      { ...(await cloudRow(vault, 6, 'strasse, timed photo', media('p.jpg'))), deadline: Date.now() - 1 },
      await cloudRow(vault, 7, 'nope'),
      { ...pending, status: 'pending' }
    ]);
    const found = await h.searchChat(ctx, { kind: 'cloud', id: 'bob', query: 'STRASSE' });
    // Seq 1 and 2 are not stored: older history may be on the relay only.
    expect(found).toEqual({ ids: [uuid(20), uuid(4), uuid(3)], more: false, partial: true });

    await db.messages.bulkPut([await cloudRow(vault, 1, 'first'), await cloudRow(vault, 2, 'second')]);
    expect((await h.searchChat(ctx, { kind: 'cloud', id: 'bob', query: 'strasse' })).partial).toBe(false);

    const around = await h.messagesAround(ctx, { peerId: 'bob', messageId: uuid(3) });
    expect(around?.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 20].map(uuid));
    expect([around?.hasMore, around?.hasNewer]).toEqual([false, false]);
    expect(await h.messagesAround(ctx, { peerId: 'carol', messageId: uuid(3) })).toBeNull();
    db.close();
  });
});
