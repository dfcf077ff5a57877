import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CinderDB } from '$lib/store/db';
import { describeIndexedNulls, findIndexedNulls } from '../../support/indexed-nulls';
import { databaseAt } from '../support/schema-history';

const box = new Uint8Array([7, 7, 7]);
const peer = { id: 'bob', username: 'bob', displayName: 'Bob' };
const chat = (id: string, protoChatId: string | null) => ({
  id,
  peerId: 'bob',
  peer,
  role: 'initiator',
  status: protoChatId ? 'active' : 'waiting',
  protoChatId,
  peerDeviceId: protoChatId ? 'dev-b' : null,
  createdAt: 1,
  lastAt: 2,
  cancelledBy: null,
  box
});
const secretMsg = (id: string, deadline: number | null) => ({ id, chatId: 'c-active', at: 5, mine: true, status: 'sent', ttl: 5, deadline, blobId: null, box });
const cloudMsg = (id: string, seq: number, deadline: number | null) => ({ id, peerId: 'bob', seq, senderId: 'bob', createdAt: 10 + seq, status: 'sent', box, deadline });

describe('schema 4 upgrade', () => {
  it('removes null from indexed properties of rows an older version wrote, and keeps the rows', async () => {
    const name = 'upgrade-nulls';
    const old = databaseAt(name, 3);
    await old.table('secretChats').bulkPut([chat('c-waiting', null), chat('c-active', 'ab12')]);
    await old.table('secretMessages').bulkPut([secretMsg('s-none', null), secretMsg('s-timed', 9_000)]);
    await old.table('messages').bulkPut([cloudMsg('m-none', 1, null), cloudMsg('m-timed', 2, 8_000)]);
    // The helper sees the rows WebKit's range queries would return.
    const before = (await findIndexedNulls(old)).map((f) => `${f.table}.${f.property}`);
    expect(before.sort()).toEqual(['messages.deadline', 'secretChats.protoChatId', 'secretMessages.deadline']);
    old.close();

    const db = new CinderDB(name);
    await db.open();
    expect(db.verno).toBe(16); // through 4's upgrade (5 added the mailboxes table, 6 stored unread counts, 7 indexed secret unread, 8 seen seqs, 9 seen batches, 10 parked envelopes and drafts, 11 trust pins per user, 12 kept cloud updates, 13 the secret unread-by-time index, 14 queued cloud actions, 15 scheduled messages, 16 profile photos)
    const nulls = await findIndexedNulls(db);
    expect(nulls, describeIndexedNulls(nulls)).toEqual([]);

    const waiting = (await db.secretChats.get('c-waiting'))!;
    expect('protoChatId' in waiting).toBe(false);
    const { protoChatId: _dropped, ...waitingRest } = chat('c-waiting', null);
    expect(waiting).toEqual(waitingRest);
    expect(await db.secretChats.get('c-active')).toEqual(chat('c-active', 'ab12'));
    expect((await db.secretChats.where('protoChatId').equals('ab12').first())?.id).toBe('c-active');

    const sNone = (await db.secretMessages.get('s-none'))!;
    expect('deadline' in sNone).toBe(false);
    const { deadline: _d1, ...sNoneRest } = secretMsg('s-none', null);
    expect(sNone).toEqual(sNoneRest);
    expect(await db.secretMessages.get('s-timed')).toEqual(secretMsg('s-timed', 9_000));

    const mNone = (await db.messages.get('m-none'))!;
    expect('deadline' in mNone).toBe(false);
    const { deadline: _d2, ...mNoneRest } = cloudMsg('m-none', 1, null);
    expect(mNone).toEqual(mNoneRest);
    expect(await db.messages.get('m-timed')).toEqual(cloudMsg('m-timed', 2, 8_000));
    expect((await db.messages.where('[peerId+seq]').between(['bob', 1], ['bob', 2], true, true).toArray()).map((m) => m.id)).toEqual(['m-none', 'm-timed']);
    db.close();
  });
});
