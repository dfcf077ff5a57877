// A cloud message's reactions from the update log ('react': the message's reactions as served) and on
// the message itself (a full sync): kept in its sealed body, shown as mine and the peer's, named for an
// open window; a reaction to a message not here changes nothing.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CloudReaction, Update } from '$lib/api/wire';
import { messageView, msgPlace, type Body } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { unlockedStore } from '../support/store';
import { ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const react = (i: number, reactions: CloudReaction[]): Update => ({ kind: 'react', cursor: nextCursor(), peerId: 'bob', id: uuid(i), reactions });
const edit = (i: number, text: string, editedAt: number): Update => ({ kind: 'edit', cursor: nextCursor(), peerId: 'bob', id: uuid(i), text, editedAt });

async function store() {
  const { db, vault } = await unlockedStore(`cloud-react-sync-${dbs++}`);
  const view = async (i: number) => messageView(vault, (await db.messages.get(uuid(i)))!, ME, 0);
  return { db, vault, view };
}

describe('cloud reactions from the update log', () => {
  it("keeps them sealed in the message's body: mine and the peer's, replaced by the next update, removed by an empty one", async () => {
    const { db, vault, view } = await store();
    await applyUpdates(db, vault, ME, [msg(1, 'bob'), msg(2, 'bob')]);
    const applied = await applyUpdates(db, vault, ME, [react(1, [{ userId: ME, emoji: '👍' }])]);
    expect([...applied.changed]).toEqual(['bob']);
    // Named for an open window, which re-reads the row wherever it is.
    expect(applied.edited).toEqual(new Map([['bob', [uuid(1)]]]));
    expect(await view(1)).toMatchObject({ text: 'text 1', reactions: { mine: '👍' } });
    expect((await view(1)).edited).toBeUndefined();
    // Sealed: in the body, nowhere in clear.
    const row = (await db.messages.get(uuid(1)))!;
    expect(Object.keys(row)).not.toContain('reactions');
    expect((await vault.open<Body>(msgPlace(uuid(1)), row.box)).reactions).toEqual([{ userId: ME, emoji: '👍' }]);

    await applyUpdates(db, vault, ME, [
      react(1, [
        { userId: ME, emoji: '👍' },
        { userId: 'bob', emoji: '👍' }
      ])
    ]);
    expect((await view(1)).reactions).toEqual({ mine: '👍', peer: '👍' });
    // In one batch the last one is the message's reactions now.
    await applyUpdates(db, vault, ME, [react(1, [{ userId: 'bob', emoji: '😂' }]), react(1, [{ userId: 'bob', emoji: '👍' }])]);
    expect((await view(1)).reactions).toEqual({ peer: '👍' });
    await applyUpdates(db, vault, ME, [react(1, [])]);
    expect((await view(1)).reactions).toBeUndefined();
    // The unread count and the other message are untouched.
    expect((await db.chats.get('bob'))?.unread).toBe(2);
    expect((await view(2)).reactions).toBeUndefined();
  });

  it('a full sync: the message comes with its reactions; an edit and a reaction in one batch both apply', async () => {
    const { db, vault, view } = await store();
    const m = msg(3, 'bob');
    if (m.kind === 'message') m.message.reactions = [{ userId: 'bob', emoji: '❤️' }];
    await applyUpdates(db, vault, ME, [m]);
    expect((await view(3)).reactions).toEqual({ peer: '❤️' });
    await applyUpdates(db, vault, ME, [msg(4, 'bob'), edit(4, 'better', 5_000), react(4, [{ userId: ME, emoji: '🙏' }])]);
    expect(await view(4)).toMatchObject({ text: 'better', edited: 5_000, reactions: { mine: '🙏' } });
    await applyUpdates(db, vault, ME, [react(3, []), edit(3, 'edited too', 6_000)]);
    expect(await view(3)).toMatchObject({ text: 'edited too', edited: 6_000 });
    expect((await view(3)).reactions).toBeUndefined();
  });

  it('a reaction to a message deleted (or never here) changes nothing', async () => {
    const { db, vault } = await store();
    await applyUpdates(db, vault, ME, [msg(1, ME)]);
    const applied = await applyUpdates(db, vault, ME, [
      { kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(1)] },
      react(1, [{ userId: 'bob', emoji: '👍' }]),
      react(9, [{ userId: 'bob', emoji: '👍' }])
    ]);
    expect(await db.messages.count()).toBe(0);
    expect(applied.edited).toBeUndefined();
  });
});
