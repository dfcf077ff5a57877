// Schema 10: a store of chat drafts (worker/drafts.ts). A database an older version left behind opens
// with it, empty, and keeps everything else.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openStore } from '$lib/store/db';
import { readDraft, writeDraft } from '$lib/worker/drafts';
import { databaseAt } from '../support/schema-history';

describe('drafts (schema 10)', () => {
  it('a version-9 database opens with an empty drafts store and its rows kept', async () => {
    const name = `drafts-upgrade-${Date.now()}`;
    const old = databaseAt(name, 9);
    await old.open();
    await old.table('meta').put({ key: 'cursor', value: 42 });
    await old.table('chats').put({ peerId: 'bob', peer: { id: 'bob', username: 'bob', displayName: 'Bob' }, lastAt: 1, myReadSeq: 0, readSentSeq: 0, peerReadSeq: 0 });
    old.close();

    const { db, vault } = await openStore(name);
    expect(db.verno).toBe(16);
    expect(await db.meta.get('cursor')).toEqual({ key: 'cursor', value: 42 });
    expect((await db.chats.get('bob'))?.peer.username).toBe('bob');
    expect(await db.drafts.count()).toBe(0);
    await writeDraft(db, vault!, 'cloud:bob', { text: 'typed after the upgrade', replyTo: null });
    expect(await readDraft(db, vault!, 'cloud:bob')).toMatchObject({ text: 'typed after the upgrade', replyTo: null });
    db.close();
  });
});
