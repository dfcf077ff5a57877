import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CloudMedia } from '$lib/api/wire';
import type { MessageRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import { storeOpenedMedia } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { describeIndexedNulls, findIndexedNulls } from '../../support/indexed-nulls';
import { unlockedStore } from '../support/store';
import { ME, msg, uuid } from '../support/cloud-updates';

let n = 0;

const media = (over: Partial<CloudMedia> = {}): CloudMedia => ({
  id: 'media_1',
  mime: 'image/png',
  name: 'a.png',
  size: 3,
  ttl: 5,
  openedAt: null,
  deadline: null,
  ...over
});

/** Message `i` in the chat with bob carrying `m` (null: no attachment). */
const withMedia = (i: number, m: CloudMedia | null, from = 'bob') => msg(i, from, i, { media: m });

describe('no null in indexed properties: cloud chats', () => {
  it('the helper flags a row stored with a null deadline (what WebKit returns from a range)', async () => {
    const { db } = await unlockedStore(`null-keys-cloud-${n++}`);
    const row: MessageRow = { id: 'x', peerId: 'bob', seq: 1, senderId: 'bob', createdAt: 1, status: 'sent', box: new Uint8Array([1]) };
    await db.messages.put({ ...row, deadline: null } as unknown as MessageRow);
    await db.messages.put({ ...row, id: 'y', deadline: undefined });
    expect(await findIndexedNulls(db)).toEqual([
      { table: 'messages', property: 'deadline', index: 'deadline', value: null, key: 'x' },
      { table: 'messages', property: 'deadline', index: 'deadline', value: undefined, key: 'y' }
    ]);
    db.close();
  });

  it('replayed messages, with and without media, and an opened timed photo store no null', async () => {
    const { db, vault } = await unlockedStore(`null-keys-cloud-${n++}`);
    const check = async () => {
      const nulls = await findIndexedNulls(db);
      expect(nulls, describeIndexedNulls(nulls)).toEqual([]);
    };
    await applyUpdates(db, vault, ME, [withMedia(1, null), withMedia(2, null, ME), withMedia(3, media()), withMedia(4, media({ id: 'media_4', ttl: 0 }))]);
    await check();
    expect(await db.messages.where('deadline').above(0).count()).toBe(0);

    // Opened: the deadline arrives first through the 'opened' answer, then through the update log.
    const box = await vault.seal(places.message(uuid(3)), { text: '', replyTo: null, media: media({ openedAt: 5_000, deadline: 10_000 }) });
    await storeOpenedMedia(db, uuid(3), box, 10_000);
    expect((await db.messages.get(uuid(3)))?.deadline).toBe(10_000);
    await applyUpdates(db, vault, ME, [withMedia(3, media({ openedAt: 5_000, deadline: 10_000 }))]);
    await check();
    // An 'opened' answer without a deadline removes it rather than storing null.
    await storeOpenedMedia(db, uuid(3), box, null);
    expect(await db.messages.get(uuid(3))).not.toHaveProperty('deadline');
    await check();
    // A message deleted meanwhile is not written back.
    await storeOpenedMedia(db, uuid(99), box, 10_000);
    expect(await db.messages.get(uuid(99))).toBeUndefined();
    db.close();
  });
});
