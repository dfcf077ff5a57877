// A cloud chat's pinned messages from the update log ('pin': the chat's pins as served), kept on the
// chat row (ids and times only), shown with their snippets while their messages are here; a delete
// takes its message's pin; a page of an older version keeps a 'pin' update it does not know.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CloudPin, Update } from '$lib/api/wire';
import { applyKept, applyUpdates, checkPage } from '$lib/worker/cloud-sync';
import { KNOWN_KINDS, keepLater } from '$lib/worker/cloud-kept';
import { cloudPinned, storedPins, withPins } from '$lib/worker/pins';
import { unlockedStore } from '../support/store';
import { ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const pin = (pins: CloudPin[]): Update => ({ kind: 'pin', cursor: nextCursor(), peerId: 'bob', pins });
const del = (...ids: number[]): Update => ({ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: ids.map(uuid) });

describe('cloud pins from the update log', () => {
  it("keeps the chat's pins on its row (replaced by each update) and lists them newest first with their snippets", async () => {
    const { db, vault } = await unlockedStore(`cloud-pins-${dbs++}`);
    await applyUpdates(db, vault, ME, [msg(1, 'bob'), msg(2, ME)]);
    const before = await db.chats.get('bob');
    const applied = await applyUpdates(db, vault, ME, [pin([{ id: uuid(1), at: 10 }])]);
    // The open chat hears of it (its bar re-reads the pins).
    expect([...applied.changed]).toEqual(['bob']);
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(1), at: 10 }]);
    await applyUpdates(db, vault, ME, [
      pin([
        { id: uuid(2), at: 20 },
        { id: uuid(1), at: 10 }
      ])
    ]);
    expect(await cloudPinned(db, vault, 'bob')).toEqual([
      { id: uuid(2), at: 20, snippet: 'text 2' },
      { id: uuid(1), at: 10, snippet: 'text 1' }
    ]);
    // The rest of the row is untouched; an empty list removes the field.
    expect(await db.chats.get('bob')).toEqual({
      ...before,
      pins: [
        { id: uuid(2), at: 20 },
        { id: uuid(1), at: 10 }
      ]
    });
    await applyUpdates(db, vault, ME, [pin([])]);
    expect((await db.chats.get('bob'))?.pins).toBeUndefined();
    expect(await cloudPinned(db, vault, 'bob')).toEqual([]);
  });

  it('a deleted message takes its pin (in the same batch too); a pin of a message not here is not shown', async () => {
    const { db, vault } = await unlockedStore(`cloud-pins-${dbs++}`);
    await applyUpdates(db, vault, ME, [
      msg(3, 'bob'),
      msg(4, 'bob'),
      pin([
        { id: uuid(4), at: 2 },
        { id: uuid(3), at: 1 }
      ]),
      del(4)
    ]);
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(3), at: 1 }]);
    await applyUpdates(db, vault, ME, [
      pin([
        { id: uuid(99), at: 5 },
        { id: uuid(3), at: 1 }
      ])
    ]);
    expect((await cloudPinned(db, vault, 'bob')).map((p) => p.id)).toEqual([uuid(3)]);
    await applyUpdates(db, vault, ME, [del(3)]);
    expect(await cloudPinned(db, vault, 'bob')).toEqual([]);
  });

  it('a pin update is known to this version (checked, not kept for a later one); a malformed one is rejected', () => {
    expect(KNOWN_KINDS).toContain('pin');
    const ok = { kind: 'pin', cursor: 5, peerId: 'bob', pins: [{ id: uuid(1), at: 1 }] };
    const bad = { kind: 'pin', cursor: 6, peerId: 'bob', pins: [{ id: 'nope', at: 1 }] };
    const page = checkPage({ updates: [ok, bad], cursor: 6, more: false }, 0);
    expect(page.updates).toEqual([ok]);
    expect(page.later).toEqual([]);
    expect(page.rejected.map((r) => r.cursor)).toEqual([6]);
  });

  it('a pin update an older app kept (its kind unknown then) is applied now, then dropped', async () => {
    const { db, vault } = await unlockedStore(`cloud-pins-${dbs++}`);
    await applyUpdates(db, vault, ME, [msg(5, 'bob')]);
    const u = pin([{ id: uuid(5), at: 7 }]);
    await keepLater(db, vault, [{ cursor: u.cursor, kind: 'pin', raw: JSON.stringify(u) }]);
    await applyKept(db, vault, ME, () => {});
    expect((await cloudPinned(db, vault, 'bob')).map((p) => p.id)).toEqual([uuid(5)]);
    expect(await db.keptUpdates.count()).toBe(0);
  });

  it('stored pins are checked when read back: a malformed field counts as none', () => {
    expect(storedPins({ pins: [{ id: 'x', at: 1 }] })).toEqual([{ id: 'x', at: 1 }]);
    expect(storedPins({ pins: 'junk' })).toEqual([]);
    expect(storedPins({ pins: [{ id: 42, at: 1 }] })).toEqual([]);
    expect(withPins({ peerId: 'bob', pins: [{ id: 'x', at: 1 }] }, [])).toEqual({ peerId: 'bob' });
  });
});
