// A cloud message's edits from the update log ('edit'): the stored text replaced and marked edited,
// the newest edit winning whatever order the updates come in; a reply's quote shows the new text.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Update } from '$lib/api/wire';
import { messageView, withStoredQuotes } from '$lib/worker/cloud';
import { applyUpdates, pullUpdates } from '$lib/worker/cloud-sync';
import { cloudEvents } from '$lib/worker/data-channel';
import { unlockedStore } from '../support/store';
import { ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const edit = (i: number, text: string, editedAt: number): Update => ({ kind: 'edit', cursor: nextCursor(), peerId: 'bob', id: uuid(i), text, editedAt });

async function store() {
  const { db, vault } = await unlockedStore(`cloud-edit-sync-${dbs++}`);
  const view = async (i: number) => messageView(vault, (await db.messages.get(uuid(i)))!, ME, 0);
  return { db, vault, view };
}

describe('cloud edits from the update log', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('replaces the stored text, marks it edited, keeps the rest; a reply quotes the new text', async () => {
    const { db, vault, view } = await store();
    const reply = msg(2, 'bob');
    if (reply.kind === 'message') Object.assign(reply.message, { replyTo: uuid(1), quote: { snippet: 'text 1', from: 'sender' } });
    await applyUpdates(db, vault, ME, [msg(1, ME), reply]);
    const applied = await applyUpdates(db, vault, ME, [edit(1, 'text 1, better', 5_000)]);
    expect([...applied.changed]).toEqual(['bob']);
    // Named for an open window, which re-reads the row wherever it is (not only its last page).
    expect(applied.edited).toEqual(new Map([['bob', [uuid(1)]]]));
    expect(cloudEvents(applied)).toContainEqual({ type: 'messages', peerId: 'bob', edited: [uuid(1)] });
    expect(await view(1)).toMatchObject({ text: 'text 1, better', edited: 5_000, seq: 1, createdAt: 1_001, mine: true });
    const [quoted] = await withStoredQuotes(db, vault, 'bob', ME, [await view(2)]);
    expect(quoted.quote?.snippet).toBe('text 1, better');
    expect((await db.chats.get('bob'))?.unread).toBe(1);
  });

  it('the newest edit wins, in one batch or in several, whatever their order', async () => {
    const { db, vault, view } = await store();
    await applyUpdates(db, vault, ME, [msg(1, ME)]);
    await applyUpdates(db, vault, ME, [edit(1, 'v3', 3_000), edit(1, 'v2', 2_000)]);
    expect(await view(1)).toMatchObject({ text: 'v3', edited: 3_000 });
    await applyUpdates(db, vault, ME, [edit(1, 'v1', 1_500)]);
    expect(await view(1)).toMatchObject({ text: 'v3', edited: 3_000 });
    await applyUpdates(db, vault, ME, [edit(1, 'v4', 4_000)]);
    expect((await view(1)).text).toBe('v4');
  });

  it('an edit of a message deleted (or never here) changes nothing; a message and its edit in one page apply together', async () => {
    const { db, vault, view } = await store();
    await applyUpdates(db, vault, ME, [msg(1, ME)]);
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(1)] }, edit(1, 'back?', 2_000), edit(9, 'never here', 2_000)]);
    expect(await db.messages.count()).toBe(0);
    expect((await applyUpdates(db, vault, ME, [edit(1, 'again?', 3_000)])).edited).toBeUndefined();
    // A first sync: the message (served with its text now, already edited) and its edit in the same batch.
    const m = msg(3, 'bob');
    if (m.kind === 'message') Object.assign(m.message, { text: 'edited text', editedAt: 2_500 });
    await applyUpdates(db, vault, ME, [m, edit(3, 'edited text', 2_500)]);
    expect(await view(3)).toMatchObject({ text: 'edited text', edited: 2_500 });
  });

  it("an attachment's caption: replaced (emptied too), the attachment kept", async () => {
    const { db, vault, view } = await store();
    const m = msg(1, ME);
    const media = { id: 'media_1', mime: 'image/png', name: 'a.png', size: 9, ttl: 0, openedAt: null, deadline: null };
    if (m.kind === 'message') Object.assign(m.message, { text: 'a typo', media });
    await applyUpdates(db, vault, ME, [m]);
    await applyUpdates(db, vault, ME, [edit(1, 'no typo', 2_000)]);
    expect(await view(1)).toMatchObject({ text: 'no typo', edited: 2_000, media: { name: 'a.png', mime: 'image/png' } });
    await applyUpdates(db, vault, ME, [edit(1, '', 3_000)]);
    expect(await view(1)).toMatchObject({ text: '', edited: 3_000, media: { name: 'a.png' } });
  });

  it('a pull applies an edit whose message came in an earlier page', async () => {
    const { db, vault, view } = await store();
    const log = [msg(1, 'bob'), msg(2, 'bob'), edit(1, 'edited later', 9_000)];
    vi.stubGlobal('fetch', async (path: string) => {
      const after = Number(new URL(path, 'http://relay').searchParams.get('after'));
      const rest = log.filter((u) => u.cursor > after);
      const updates = rest.slice(0, 2);
      return new Response(JSON.stringify({ updates, cursor: updates.at(-1)?.cursor ?? after, more: rest.length > 2 }), { status: 200 });
    });
    await pullUpdates(db, vault, ME, () => {});
    expect(await view(1)).toMatchObject({ text: 'edited later', edited: 9_000 });
  });
});
