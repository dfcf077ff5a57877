import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CloudMedia } from '$lib/api/wire';
import { places } from '$lib/store/places';
import { nextDeadline, purgeExpired } from '$lib/store/purge';
import { chatViews, messageView } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { unlockedStore } from '../support/store';
import { ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let n = 0;

const media = (over: Partial<CloudMedia> = {}): CloudMedia => ({
  id: 'media_1',
  mime: 'image/png',
  name: 'flame.png',
  size: 3,
  ttl: 3,
  openedAt: null,
  deadline: null,
  ...over
});

/** Message `i` in the chat with bob carrying `m` (null: no attachment) and no text (the preview names the attachment). */
const withMedia = (i: number, m: CloudMedia | null, from = 'bob') => msg(i, from, i, { text: '', media: m });

describe('cloud media on the device', () => {
  it('keeps the attachment sealed in the message, its deadline in clear, and shows a label as preview', async () => {
    const { db, vault } = await unlockedStore(`cloud-media-${n++}`);
    await applyUpdates(db, vault, ME, [withMedia(1, media())]);
    const row = (await db.messages.get(uuid(1)))!;
    // No deadline yet: left out, never null (it is indexed; WebKit's index ranges return nulls).
    expect(row).not.toHaveProperty('deadline');
    // The name is not stored in clear.
    expect(new TextDecoder().decode(row.box).includes('flame')).toBe(false);
    const view = await messageView(vault, row, ME, 0);
    expect(view.media).toEqual({ mime: 'image/png', name: 'flame.png', size: 3, ttl: 3, deadline: null });
    expect((await chatViews(db, vault, ME))[0].preview).toBe('📷 Photo');

    // Opened: the relay re-sends the message with its deadline.
    await applyUpdates(db, vault, ME, [withMedia(1, media({ openedAt: 5_000, deadline: 8_000 }))]);
    expect((await db.messages.get(uuid(1)))!.deadline).toBe(8_000);
    expect(await nextDeadline(db)).toBe(8_000);
  });

  it('purges a timed attachment and its cached plaintext at the deadline; a delete update removes the cache too', async () => {
    const { db, vault } = await unlockedStore(`cloud-media-${n++}`);
    await applyUpdates(db, vault, ME, [withMedia(1, media({ openedAt: 5_000, deadline: 8_000 })), withMedia(2, media({ id: 'media_2', ttl: 0 })), withMedia(3, null)]);
    for (const i of [1, 2]) {
      await db.cloudMedia.put({ messageId: uuid(i), peerId: 'bob', box: await vault.sealBytes(places.cloudMedia(uuid(i)), new Uint8Array([1, 2, 3])) });
    }
    expect((await purgeExpired(db, 7_999)).cloudPeers.size).toBe(0);
    const purged = await purgeExpired(db, 8_000);
    expect([...purged.cloudPeers]).toEqual(['bob']);
    expect(await db.messages.get(uuid(1))).toBeUndefined();
    expect(await db.cloudMedia.get(uuid(1))).toBeUndefined();
    expect(await nextDeadline(db)).toBeNull();

    expect(await db.cloudMedia.get(uuid(2))).toBeDefined();
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(2)] }]);
    expect(await db.cloudMedia.count()).toBe(0);
    expect((await db.messages.toArray()).map((m) => m.id)).toEqual([uuid(3)]);
  });

  it("shows a photo's size when it came with one, and a file by its name", async () => {
    const { db, vault } = await unlockedStore(`cloud-media-${n++}`);
    await applyUpdates(db, vault, ME, [
      withMedia(1, media({ width: 1280, height: 720 })),
      withMedia(2, media({ id: 'media_2', mime: 'application/pdf', name: 'doc.pdf', ttl: 0 }))
    ]);
    const [photo, file] = await Promise.all([uuid(1), uuid(2)].map(async (id) => messageView(vault, (await db.messages.get(id))!, ME, 0)));
    expect(photo.media).toMatchObject({ width: 1280, height: 720 });
    expect(file.media).toEqual({ mime: 'application/pdf', name: 'doc.pdf', size: 3, ttl: 0, deadline: null });
    expect((await chatViews(db, vault, ME))[0].preview).toBe('📎 doc.pdf');
  });
});
