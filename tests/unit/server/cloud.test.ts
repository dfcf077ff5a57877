import { describe, expect, it } from 'vitest';
import type { ChatSummary, CloudMessage, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, login, sendText, signup, useRelayWith, uuid, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob']);

const history = async (who: Account, peer: Account, q = '') => {
  const r = await call<{ messages: CloudMessage[] }>(rig.ts, 'GET', `/api/cloud/chats/${peer.userId}/messages${q}`, { token: who.token });
  expect(r.status).toBe(200);
  return r.body.messages;
};
const chats = async (who: Account) => (await call<{ chats: ChatSummary[] }>(rig.ts, 'GET', '/api/cloud/chats', { token: who.token })).body.chats;
const sync = async (who: Account, after: number, limit?: number) => {
  const r = await call<SyncRes>(rig.ts, 'GET', `/api/sync?after=${after}${limit ? `&limit=${limit}` : ''}`, { token: who.token });
  expect(r.status).toBe(200);
  return r.body;
};
/** Replays the whole log page by page, as a device would. */
const syncAll = async (who: Account, from = 0, pageSize = 2) => {
  const all: Update[] = [];
  let cursor = from;
  for (;;) {
    const page = await sync(who, cursor, pageSize);
    all.push(...page.updates);
    expect(page.cursor).toBeGreaterThanOrEqual(cursor);
    cursor = page.cursor;
    if (!page.more) return { updates: all, cursor };
  }
};

describe('cloud messages', () => {
  it('creates the chat on first message, numbers seqs from 1, and names the chat by the peer', async () => {
    const m1 = await sendText(rig.ts, rig.alice, rig.bob, 'hello bob');
    expect(m1).toMatchObject({ peerId: rig.bob.userId, seq: 1, senderId: rig.alice.userId, senderDeviceId: rig.alice.deviceId, text: 'hello bob', replyTo: null });
    const m2 = await sendText(rig.ts, rig.bob, rig.alice, 'hi alice');
    expect(m2).toMatchObject({ peerId: rig.alice.userId, seq: 2 });

    const fromBob = await history(rig.bob, rig.alice);
    expect(fromBob.map((m) => [m.seq, m.text, m.peerId])).toEqual([
      [1, 'hello bob', rig.alice.userId],
      [2, 'hi alice', rig.alice.userId]
    ]);
    const fromAlice = await history(rig.alice, rig.bob);
    expect(fromAlice.every((m) => m.peerId === rig.bob.userId)).toBe(true);
  });

  it('is idempotent by client id: a resend returns the stored message and appends no updates', async () => {
    const id = uuid();
    const first = await sendText(rig.ts, rig.alice, rig.bob, 'once', id);
    const cursorBefore = (await sync(rig.bob, 0)).cursor;
    const again = await call(rig.ts, 'POST', '/api/cloud/messages', { token: rig.alice.token, body: { id, toUserId: rig.bob.userId, text: 'changed?' } });
    expect(again.status).toBe(200);
    expect(again.body.message).toEqual(first);
    expect(await history(rig.bob, rig.alice)).toHaveLength(1);
    expect((await sync(rig.bob, 0)).cursor).toBe(cursorBefore);
    // The same id from someone else, or to another chat, is a conflict.
    const carol = await signup(rig.ts, 'carol');
    const stolen = await call(rig.ts, 'POST', '/api/cloud/messages', { token: carol.token, body: { id, toUserId: rig.bob.userId, text: 'x' } });
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('conflict');
    const other = await call(rig.ts, 'POST', '/api/cloud/messages', { token: rig.alice.token, body: { id, toUserId: carol.userId, text: 'x' } });
    expect(other.status).toBe(409);
  });

  it('keeps seqs unique under concurrent sends', async () => {
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => sendText(rig.ts, i % 2 ? rig.alice : rig.bob, i % 2 ? rig.bob : rig.alice, `m${i}`)));
    expect(new Set(sent.map((m) => m.seq)).size).toBe(20);
    expect((await history(rig.alice, rig.bob, '?limit=200')).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('pages history backwards with before/limit, ascending within a page', async () => {
    for (let i = 1; i <= 7; i++) await sendText(rig.ts, rig.alice, rig.bob, `n${i}`);
    expect((await history(rig.bob, rig.alice, '?limit=3')).map((m) => m.seq)).toEqual([5, 6, 7]);
    expect((await history(rig.bob, rig.alice, '?before=5&limit=3')).map((m) => m.seq)).toEqual([2, 3, 4]);
    expect((await history(rig.bob, rig.alice, '?before=2&limit=3')).map((m) => m.seq)).toEqual([1]);
    expect(await history(rig.bob, rig.alice, '?before=1')).toEqual([]);
    // No chat yet with carol: empty, not an error; unknown user: 404.
    const carol = await signup(rig.ts, 'carol');
    expect(await history(rig.alice, carol)).toEqual([]);
    expect((await call(rig.ts, 'GET', '/api/cloud/chats/nosuchuser/messages', { token: rig.alice.token })).status).toBe(404);
  });

  it('reports chats newest first with unread counts and monotonic read receipts', async () => {
    const carol = await signup(rig.ts, 'carol');
    await sendText(rig.ts, rig.alice, rig.bob, 'a1');
    await sendText(rig.ts, rig.alice, rig.bob, 'a2');
    await sendText(rig.ts, rig.bob, rig.alice, 'b3');
    await sendText(rig.ts, rig.alice, rig.bob, 'a4');
    await new Promise((r) => setTimeout(r, 5));
    await sendText(rig.ts, carol, rig.bob, 'c1');

    let list = await chats(rig.bob);
    expect(list.map((c) => c.peer.username)).toEqual(['carol', 'alice']);
    const withAlice = list[1];
    expect(withAlice).toMatchObject({ myReadSeq: 0, peerReadSeq: 0, unread: 3 });
    expect(withAlice.lastMessage).toMatchObject({ seq: 4, text: 'a4', peerId: rig.alice.userId });
    expect((await chats(rig.alice)).find((c) => c.peer.id === rig.bob.userId)).toMatchObject({ unread: 1 });

    expect((await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/read`, { token: rig.bob.token, body: { seq: 2 } })).status).toBe(204);
    list = await chats(rig.bob);
    expect(list.find((c) => c.peer.id === rig.alice.userId)).toMatchObject({ myReadSeq: 2, unread: 1 });
    expect((await chats(rig.alice)).find((c) => c.peer.id === rig.bob.userId)).toMatchObject({ peerReadSeq: 2, myReadSeq: 0 });

    // Lower reads are ignored; reads beyond the end are capped at the last seq.
    await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/read`, { token: rig.bob.token, body: { seq: 1 } });
    expect((await chats(rig.bob)).find((c) => c.peer.id === rig.alice.userId)!.myReadSeq).toBe(2);
    await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/read`, { token: rig.bob.token, body: { seq: 999 } });
    expect((await chats(rig.bob)).find((c) => c.peer.id === rig.alice.userId)).toMatchObject({ myReadSeq: 4, unread: 0 });

    // Reading a chat that doesn't exist is 404.
    const dave = await signup(rig.ts, 'dave');
    expect((await call(rig.ts, 'POST', `/api/cloud/chats/${dave.userId}/read`, { token: rig.bob.token, body: { seq: 1 } })).status).toBe(404);
  });

  it('deletes for both users; deleted messages leave history, unread and sync', async () => {
    const m1 = await sendText(rig.ts, rig.alice, rig.bob, 'keep');
    const m2 = await sendText(rig.ts, rig.alice, rig.bob, 'oops');
    const m3 = await sendText(rig.ts, rig.bob, rig.alice, 'reply');
    // Either member may delete any message of the chat; unknown ids are ignored.
    const del = await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/delete`, { token: rig.bob.token, body: { ids: [m2.id, uuid()] } });
    expect(del.status).toBe(204);
    expect((await history(rig.alice, rig.bob)).map((m) => m.id)).toEqual([m1.id, m3.id]);
    expect((await history(rig.bob, rig.alice)).map((m) => m.id)).toEqual([m1.id, m3.id]);
    expect((await chats(rig.bob))[0].unread).toBe(1);

    const { updates } = await syncAll(rig.alice);
    expect(updates.filter((u) => u.kind === 'message').map((u) => (u.kind === 'message' ? u.message.id : ''))).toEqual([m1.id, m3.id]);
    expect(updates.at(-1)).toMatchObject({ kind: 'delete', peerId: rig.bob.userId, ids: [m2.id] });

    // The body is wiped, not just flagged.
    const row = rig.ts.store.db.prepare('SELECT length(body) AS n, deleted FROM cloud_messages WHERE id = ?').get(m2.id) as { n: number; deleted: number };
    expect(row).toEqual({ n: 0, deleted: 1 });
    // Deleting the last message leaves an earlier one as the chat's last message.
    await call(rig.ts, 'POST', `/api/cloud/chats/${rig.bob.userId}/delete`, { token: rig.alice.token, body: { ids: [m3.id] } });
    expect((await chats(rig.alice))[0].lastMessage!.id).toBe(m1.id);
    // A third party can't delete in a chat they're not in.
    const eve = await signup(rig.ts, 'eve');
    expect((await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/delete`, { token: eve.token, body: { ids: [m1.id] } })).status).toBe(404);
    expect(await history(rig.alice, rig.bob)).toHaveLength(1);
  });

  it('lets two devices of one user converge from their own cursors', async () => {
    const alice2 = await login(rig.ts, rig.alice, 'Phone');
    const m1 = await sendText(rig.ts, rig.alice, rig.bob, 'from laptop');
    // Phone catches up now; laptop stays behind.
    const phone1 = await syncAll(alice2);
    expect(phone1.updates.map((u) => u.kind)).toEqual(['message']);
    const m2 = await sendText(rig.ts, rig.bob, rig.alice, 'to both devices', uuid());
    const m3 = await sendText(rig.ts, alice2, rig.bob, 'from phone');
    await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/read`, { token: rig.bob.token, body: { seq: 3 } });
    await call(rig.ts, 'POST', `/api/cloud/chats/${rig.bob.userId}/read`, { token: alice2.token, body: { seq: 2 } });
    await call(rig.ts, 'POST', `/api/cloud/chats/${rig.bob.userId}/delete`, { token: rig.alice.token, body: { ids: [m1.id] } });

    const phone2 = await syncAll(alice2, phone1.cursor);
    const laptop = await syncAll(rig.alice, 0, 3);
    expect(laptop.cursor).toBe(phone2.cursor);

    // Both replay to the same state.
    const replay = (ups: Update[]) => {
      const msgs = new Map<string, CloudMessage>();
      const reads: Record<string, number> = {};
      for (const u of ups) {
        if (u.kind === 'message') msgs.set(u.message.id, u.message);
        else if (u.kind === 'delete') u.ids.forEach((id) => msgs.delete(id));
        else if (u.kind === 'read') reads[u.readerId] = Math.max(reads[u.readerId] ?? 0, u.seq);
      }
      return { msgs: [...msgs.values()].sort((x, y) => x.seq - y.seq), reads };
    };
    const a = replay([...phone1.updates, ...phone2.updates]);
    const b = replay(laptop.updates);
    expect(b).toEqual(a);
    expect(a.msgs.map((m) => m.id)).toEqual([m2.id, m3.id]);
    expect(a.msgs.every((m) => m.peerId === rig.bob.userId)).toBe(true);
    expect(a.reads).toEqual({ [rig.bob.userId]: 3, [rig.alice.userId]: 2 });
    // Message updates carry the peer's public profile.
    const msgUpdate = laptop.updates.find((u) => u.kind === 'message');
    expect(msgUpdate && msgUpdate.kind === 'message' && msgUpdate.peer).toEqual({ id: rig.bob.userId, username: 'bob', displayName: 'bob', photo: null });

    // Bob's log mirrors it from his side.
    const bobLog = await syncAll(rig.bob);
    expect(bobLog.updates.filter((u) => u.kind === 'read').map((u) => u.kind === 'read' && [u.peerId, u.readerId, u.seq])).toEqual([
      [rig.alice.userId, rig.bob.userId, 3],
      [rig.alice.userId, rig.alice.userId, 2]
    ]);

    // Past the end: nothing, cursor unchanged.
    expect(await sync(rig.alice, laptop.cursor)).toEqual({ updates: [], cursor: laptop.cursor, more: false });
  });

  it('allows a chat with oneself (saved messages) without double updates', async () => {
    const m = await sendText(rig.ts, rig.alice, rig.alice, 'note to self');
    expect(m.peerId).toBe(rig.alice.userId);
    const log = await syncAll(rig.alice);
    expect(log.updates).toHaveLength(1);
    expect((await chats(rig.alice))[0]).toMatchObject({ peer: { id: rig.alice.userId }, unread: 0 });
  });
});
