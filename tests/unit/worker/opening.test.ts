// The page a chat opens at (rpc/opening.ts): around its first unread message, else its newest page.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { places } from '$lib/store/places';
import type { CinderDB, SecretChatRow, SecretMessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { sealMessage } from '$lib/worker/cloud';
import type { CoreContext } from '$lib/worker/rpc/context';
import { openingHandlers as h } from '$lib/worker/rpc/opening';
import { ME, uuid } from '../support/cloud-updates';
import { unlockedStore } from '../support/store';
import { databaseAt } from '../support/schema-history';
import { openStore } from '$lib/store/db';

let n = 0;
const context = (db: CinderDB, vault: Vault) =>
  ({ db, vault, me: ME, emit: () => {}, flush: async () => {}, sendFrame: () => {}, secretModule: () => import('$lib/worker/secret') }) as unknown as CoreContext;

const cloudRow = (vault: Vault, seq: number, from: string) =>
  sealMessage(vault, { id: uuid(seq), peerId: 'bob', seq, senderId: from, senderDeviceId: 'd', text: `m${seq}`, replyTo: null, createdAt: 1000 + seq, media: null });

async function secretRow(vault: Vault, i: number, extra: Partial<SecretMessageRow> = {}): Promise<SecretMessageRow> {
  const id = extra.id ?? uuid(i);
  const box = await vault.seal(places.secretMessage(id), { kind: 'text', text: `s${i}`, replyTo: null, ttl: 0 });
  return { id, chatId: 'c1', at: 1000 + i, mine: false, status: 'read', ttl: 0, blobId: null, box, ...extra };
}

const secretChat = (status: SecretChatRow['status']) => ({ id: 'c1', status }) as unknown as SecretChatRow;

describe('opening a chat', () => {
  it('opens a cloud chat around its first unread message from the peer, else at its newest page', async () => {
    const { db, vault } = await unlockedStore(`opening-cloud-${n++}`);
    const ctx = context(db, vault);
    const chat = { peerId: 'bob', peer: { id: 'bob', username: 'bob', displayName: 'Bob' }, lastAt: 0, myReadSeq: 40, readSentSeq: 40, peerReadSeq: 0, unread: 39 };
    await db.chats.put(chat);
    // 1…40 read; 41 is mine (never unread); 42…80 the peer's, unread.
    await db.messages.bulkPut(await Promise.all(Array.from({ length: 80 }, (_, i) => cloudRow(vault, i + 1, i + 1 === 41 ? ME : 'bob'))));

    const at = await h.messagesOpening(ctx, { peerId: 'bob', limit: 20 });
    expect(at.unreadFrom).toBe(uuid(42));
    expect(at.messages.map((m) => m.seq)).toEqual(Array.from({ length: 51 }, (_, i) => 17 + i));
    expect([at.hasMore, at.hasNewer]).toEqual([true, true]);

    // All read: the newest page, nothing to mark.
    await db.chats.put({ ...chat, myReadSeq: 80, unread: 0 });
    const latest = await h.messagesOpening(ctx, { peerId: 'bob', limit: 20 });
    expect(latest.unreadFrom).toBeNull();
    expect(latest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 61 + i));
    expect(latest.hasNewer).toBe(false);

    // A count not known (cleared by a writer) is looked up on the index, not trusted.
    await db.chats.put({ ...chat, myReadSeq: 70, unread: undefined });
    expect((await h.messagesOpening(ctx, { peerId: 'bob', limit: 20 })).unreadFrom).toBe(uuid(71));
    expect((await h.messagesOpening(ctx, { peerId: 'carol', limit: 20 })).unreadFrom).toBeNull();
    db.close();
  });

  it('opens an active secret chat around its oldest unread message (by time, not id), a closed one at its end', async () => {
    const { db, vault } = await unlockedStore(`opening-secret-${n++}`);
    const ctx = context(db, vault);
    await db.secretChats.put(secretChat('active'));
    const rows = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const k = i + 1;
        if (k <= 30) return secretRow(vault, k, { mine: k % 3 === 0, status: k % 3 === 0 ? 'sent' : 'read' });
        return secretRow(vault, k, { status: 'sent', unread: 1 });
      })
    );
    // Unread, with the smallest id but the newest time: not the first unread.
    rows.push(await secretRow(vault, 61, { id: uuid(0), status: 'sent', unread: 1 }));
    await db.secretMessages.bulkPut(rows);

    const at = await h.secretMessagesOpening(ctx, { id: 'c1', limit: 20 });
    expect(at.unreadFrom).toBe(uuid(31));
    expect(at.messages.map((m) => m.id)).toEqual(Array.from({ length: 51 }, (_, i) => uuid(6 + i)));
    expect([at.hasMore, at.hasNewer]).toEqual([true, true]);

    // A closed chat's messages can no longer be read (nor are counted unread): it opens at its end.
    await db.secretChats.put(secretChat('cancelled'));
    const closed = await h.secretMessagesOpening(ctx, { id: 'c1', limit: 20 });
    expect(closed.unreadFrom).toBeNull();
    expect(closed.messages.at(-1)?.id).toBe(uuid(0));
    expect(closed.messages.length).toBe(20);

    // Nothing unread: the newest page.
    await db.secretChats.put(secretChat('active'));
    await db.secretMessages
      .where('[chatId+unread]')
      .equals(['c1', 1])
      .modify((m) => void delete m.unread);
    expect((await h.secretMessagesOpening(ctx, { id: 'c1', limit: 20 })).unreadFrom).toBeNull();
    db.close();
  });

  it('finds the oldest unread secret message on an index, reading a page and not every unread row', async () => {
    const { db, vault } = await unlockedStore(`opening-secret-${n++}`);
    const ctx = context(db, vault);
    await db.secretChats.put(secretChat('active'));
    // 400 unread rows; the two oldest share a time, so the smaller id comes first (the pages' order).
    const rows = await Promise.all(Array.from({ length: 400 }, (_, i) => secretRow(vault, i + 10, { status: 'sent', unread: 1 })));
    rows.push(await secretRow(vault, 9, { id: uuid(2000), status: 'sent', unread: 1 }));
    rows.push(await secretRow(vault, 9, { id: uuid(1000), status: 'sent', unread: 1 }));
    await db.secretMessages.bulkPut(rows);
    let read = 0;
    const count = (row: SecretMessageRow) => (read++, row);
    db.secretMessages.hook('reading', count);
    const at = await h.secretMessagesOpening(ctx, { id: 'c1', limit: 20 });
    db.secretMessages.hook('reading').unsubscribe(count);
    expect(at.unreadFrom).toBe(uuid(1000));
    expect(at.messages.slice(0, 2).map((m) => m.id)).toEqual([uuid(1000), uuid(2000)]);
    // The one found and the page from it (nothing is older: 21 rows, and a look past its end), not the
    // 402 unread rows as well (430 reads before the index).
    expect(read).toBeLessThan(60);
    db.close();
  });

  it('a database from schema 12 opens with the index filled from its rows', async () => {
    const name = `opening-upgrade-${n++}`;
    const old = databaseAt(name, 12);
    await old.open();
    const { vault } = await unlockedStore(`opening-vault-${n++}`);
    const rows = [await secretRow(vault, 5, { status: 'sent', unread: 1 }), await secretRow(vault, 3, { status: 'sent', unread: 1 }), await secretRow(vault, 1)];
    await old.table('secretMessages').bulkPut(rows);
    old.close();
    const { db } = await openStore(name);
    expect(db.verno).toBe(16);
    expect((await db.secretMessages.where('[chatId+unread+at]').between(['c1', 1, 0], ['c1', 1, Infinity]).toArray()).map((r) => r.id)).toEqual([uuid(3), uuid(5)]);
    db.close();
  });
});
