import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PublicUser, Update } from '$lib/api/wire';
import { unlockedStore } from '../support/store';
import { bob, ME, msg, nextCursor, uuid } from '../support/cloud-updates';
import { chatViews, localPage, messageView, storedIds } from '$lib/worker/cloud';
import { applyLive, applyUpdates, pullUpdates, type SyncState } from '$lib/worker/cloud-sync';

let n = 0;

describe('cloud chat replay', () => {
  it('applies a mixed batch in order with bulk writes: a message deleted later in the batch is never stored', async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    // Two of my messages still in the outbox: the relay's copies replace them.
    const queued = (i: number) => ({ id: uuid(i), peerId: 'bob', text: `text ${i}`, replyTo: null, createdAt: 1_000 + i }) as never;
    await db.outbox.bulkPut([queued(10), queued(11)]);
    const a = msg(10, ME),
      b = msg(11, ME),
      c = msg(12, 'bob'),
      d = msg(13, 'bob');
    const applied = await applyUpdates(db, vault, ME, [
      a,
      c,
      { kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(10), uuid(12)] },
      b,
      { kind: 'read', cursor: nextCursor(), peerId: 'bob', readerId: 'bob', seq: 11 },
      d
    ]);
    expect((await db.messages.toArray()).map((m) => m.id).sort()).toEqual([uuid(11), uuid(13)]);
    expect(await db.outbox.count()).toBe(0);
    const chat = (await db.chats.get('bob'))!;
    expect(chat).toMatchObject({ peerReadSeq: 11, myReadSeq: 11, lastAt: 1_013 });
    // Bob's two were new to this device when they arrived, the deleted one included (as one by one).
    expect(applied.fresh.map((f) => f.text)).toEqual(['text 12', 'text 13']);
    expect([...applied.changed]).toEqual(['bob']);
    // Each row opens at its own place: the seals were not mixed up by sealing them all at once.
    const page = await localPage(db, 'bob', undefined, 10);
    expect(await Promise.all(page.stored.map(async (r) => (await messageView(vault, r, ME, chat.peerReadSeq)).text))).toEqual(['text 11', 'text 13']);
    // Seen again (a sync that overlaps): nothing is fresh any more, nothing changes.
    const again = await applyUpdates(db, vault, ME, [b, d]);
    expect(again.fresh).toEqual([]);
    expect(await db.messages.count()).toBe(2);
  });

  it("names the chats whose peer's profile changed, and only those (the open chat re-reads the profile then)", async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    // A new chat is not a change; the same profile again is not either.
    expect([...(await applyUpdates(db, vault, ME, [msg(1, 'bob')])).peers]).toEqual([]);
    expect([...(await applyUpdates(db, vault, ME, [msg(2, 'bob'), msg(3, ME)])).peers]).toEqual([]);
    const renamed = { ...msg(4, 'bob'), peer: { ...bob, displayName: 'Robert' } } as Update;
    const applied = await applyUpdates(db, vault, ME, [renamed]);
    expect([...applied.peers]).toEqual(['bob']);
    expect((await db.chats.get('bob'))!.peer.displayName).toBe('Robert');
    const gone = { ...msg(5, 'bob'), peer: { id: 'bob', username: '', displayName: 'Deleted account', deleted: true } } as Update;
    expect([...(await applyUpdates(db, vault, ME, [gone])).peers]).toEqual(['bob']);
  });

  it('is idempotent, counts unread from the read marker and orders history', async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    const updates = [msg(1, ME), msg(2, 'bob'), msg(3, 'bob'), msg(4, 'bob')];
    await applyUpdates(db, vault, ME, updates);
    await applyUpdates(db, vault, ME, updates); // seen again through sync: no change
    expect(await db.messages.count()).toBe(4);

    let [view] = await chatViews(db, vault, ME);
    expect(view.preview).toBe('text 4');
    expect(view.previewMine).toBe(false);
    // My own message at seq 1 marks seq 1 as read; 3 of Bob's messages are unread.
    expect(view.unread).toBe(3);

    await applyUpdates(db, vault, ME, [{ kind: 'read', cursor: nextCursor(), peerId: 'bob', readerId: ME, seq: 3 }]);
    [view] = await chatViews(db, vault, ME);
    expect(view.unread).toBe(1);

    // Bob read my message: two ticks.
    await applyUpdates(db, vault, ME, [{ kind: 'read', cursor: nextCursor(), peerId: 'bob', readerId: 'bob', seq: 1 }]);
    const chat = (await db.chats.get('bob'))!;
    const page = await localPage(db, 'bob', undefined, 10);
    expect(page.stored.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const first = await messageView(vault, page.stored[0], ME, chat.peerReadSeq);
    expect(first).toMatchObject({ mine: true, ticks: 'read', text: 'text 1' });

    // Paging: the two just below seq 4.
    const older = await localPage(db, 'bob', 4, 2);
    expect(older.stored.map((m) => m.seq)).toEqual([2, 3]);

    // Deletion removes the rows and the preview moves back.
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(4)] }]);
    [view] = await chatViews(db, vault, ME);
    expect(view.preview).toBe('text 3');
    expect(view.unread).toBe(0);
    db.close();
  });

  it('lists the ids still stored in a seq range, for a window to drop what was deleted', async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    await applyUpdates(
      db,
      vault,
      ME,
      [1, 2, 3, 4, 5, 6].map((i) => msg(i, 'bob'))
    );
    const carol: PublicUser = { id: 'carol', username: 'carol', displayName: 'Carol' };
    const toCarol = msg(7, ME, 3) as Extract<Update, { kind: 'message' }>;
    await applyUpdates(db, vault, ME, [{ ...toCarol, message: { ...toCarol.message, peerId: 'carol' }, peer: carol }]);
    expect(await storedIds(db, 'bob', 2, 5)).toEqual([2, 3, 4, 5].map(uuid));
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(3), uuid(6)] }]);
    expect(await storedIds(db, 'bob', 2, 6)).toEqual([2, 4, 5].map(uuid));
    // Another chat's rows are never in the range; a limit caps a wide one.
    expect(await storedIds(db, 'bob', 1, 100)).toEqual([1, 2, 4, 5].map(uuid));
    expect(await storedIds(db, 'bob', 1, 100, 2)).toEqual([1, 2].map(uuid));
    db.close();
  });

  it('stores message text only sealed', async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    await applyUpdates(db, vault, ME, [msg(9, 'bob')]);
    const row = (await db.messages.get(uuid(9)))!;
    expect(JSON.stringify(row)).not.toContain('text 9');
    expect(new TextDecoder().decode(row.box)).not.toContain('text 9');
    db.close();
  });
});

/** A fake relay log for `GET /api/sync`: the device pulls from it when a live update does not chain. */
function fakeSync(log: Update[], onPull?: () => void) {
  const pulls: number[] = [];
  vi.stubGlobal('fetch', async (path: string) => {
    const after = Number(new URL(path, 'http://relay').searchParams.get('after'));
    pulls.push(after);
    onPull?.();
    const updates = log.filter((u) => u.cursor > after);
    const body = { updates, cursor: updates.at(-1)?.cursor ?? after, more: false };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  return pulls;
}

describe('live updates', () => {
  afterEach(() => vi.unstubAllGlobals());
  const ids = async (db: Awaited<ReturnType<typeof unlockedStore>>['db']) => (await db.messages.toArray()).map((m) => m.id).sort();
  const cursorOf = async (db: Awaited<ReturnType<typeof unlockedStore>>['db']) => (await db.meta.get('cursor'))?.value;

  it('apply one that directly follows the cursor; pull when one arrives ahead of a missing update', async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    const [u1, u2, u3] = [msg(101, 'bob'), msg(102, 'bob'), msg(103, 'bob')];
    const pulls = fakeSync([u1, u2, u3]);
    const state: SyncState = { behind: false, epoch: 0 };
    const none = () => {};

    await applyLive(db, vault, ME, u1, 0, state, none);
    expect(pulls).toEqual([]);
    expect(await cursorOf(db)).toBe(u1.cursor);

    // u3 overtook u2 (two requests, or two relay nodes): applying it would skip u2 for good.
    await applyLive(db, vault, ME, u3, u2.cursor, state, none);
    expect(pulls).toEqual([u1.cursor]);
    expect(await ids(db)).toEqual([uuid(101), uuid(102), uuid(103)]);
    expect(await cursorOf(db)).toBe(u3.cursor);

    // The late u2 changes nothing and costs no request.
    await applyLive(db, vault, ME, u2, u1.cursor, state, none);
    expect(pulls).toEqual([u1.cursor]);
    db.close();
  });

  it('stay behind after a pull that began before the latest connect', async () => {
    const { db, vault } = await unlockedStore(`cloud-${n++}`);
    const u1 = msg(111, 'bob');
    const state: SyncState = { behind: true, epoch: 1 };
    // The socket reconnects while the pull is on its way: the relay read the log before it subscribed.
    fakeSync([u1], () => state.epoch++);
    await pullUpdates(db, vault, ME, () => {}, state);
    expect(state.behind).toBe(true);
    expect(await ids(db)).toEqual([uuid(111)]);
    // A pull wholly after the connect catches the device up.
    fakeSync([u1]);
    await pullUpdates(db, vault, ME, () => {}, state);
    expect(state.behind).toBe(false);
    db.close();
  });
});
