/**
 * The storage contract for cloud chats and cloud media, run against every backend (see
 * store-contract.test.ts for how: a fresh SQLite file or PostgreSQL schema per test, a second store on the
 * same database standing in for a second relay node).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { eachStore, DAY, mkUser, msgInput, send, T0 } from './store-fixtures';

eachStore(
  'store contract, cloud',
  (t) => {
    // ---------------- cloud chats ----------------
    it('sends messages: per-chat seqs, one update per member, idempotent by id, id conflicts', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      const r1 = await send(t.store, a, b, 'm-1');
      const r2 = await send(t.store, b, a, 'm-2');
      if (!r1.ok || !r2.ok) throw new Error('send failed');
      expect([r1.created, r1.message.seq, r2.message.seq]).toEqual([true, 1, 2]);
      expect(r2.chat.id).toBe(r1.chat.id);
      expect(r2.chat.nextSeq).toBe(3);
      expect([r1.chat.userA, r1.chat.userB]).toEqual([a.user.id, b.user.id].sort());
      expect(r1.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect(await t.store.getChat(b.user.id, a.user.id)).toEqual(r2.chat);

      const again = await send(t.store, a, b, 'm-1');
      expect(again).toMatchObject({ ok: true, created: false, updates: [] });
      if (again.ok) expect(again.message.seq).toBe(1);
      expect(await send(t.store, b, a, 'm-1')).toEqual({ ok: false, reason: 'id_conflict' }); // other sender
      expect(await send(t.store, a, c, 'm-1')).toEqual({ ok: false, reason: 'id_conflict' }); // other chat

      // A chat with oneself appends one update.
      const self = await send(t.store, a, a, 'm-self');
      expect(self.ok && self.updates.length).toBe(1);
      expect(self.ok && self.chat.userA === a.user.id && self.chat.userB === a.user.id).toBe(true);
    });

    it('pages messages and the update log', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      for (let i = 1; i <= 5; i++) await send(t.store, a, b, `p-${i}`, T0 + i);
      const chat = (await t.store.getChat(a.user.id, b.user.id))!;
      expect((await t.store.listMessages(chat.id, null, 3)).map((m) => m.seq)).toEqual([3, 4, 5]);
      expect((await t.store.listMessages(chat.id, 3, 10)).map((m) => m.seq)).toEqual([1, 2]);
      const m = (await t.store.listMessages(chat.id, 2, 1))[0];
      expect(m).toEqual({
        chatId: chat.id,
        seq: 1,
        id: 'p-1',
        senderId: a.user.id,
        senderDeviceId: a.device.id,
        body: Buffer.from('sealed:p-1'),
        createdAt: T0 + 1,
        deleted: false,
        editedAt: null
      });

      const ups = await t.store.listUpdates(b.user.id, 0, 100);
      expect(ups.map((u) => u.message?.id)).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
      expect(ups.every((u) => u.kind === 'message' && u.data === u.message!.id && u.chat.id === chat.id)).toBe(true);
      const cursors = ups.map((u) => u.cursor);
      expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
      expect(await t.store.latestCursor(b.user.id)).toBe(cursors[4]);
      expect(await t.store.latestCursor('nobody')).toBe(0);
      expect((await t.store.listUpdates(b.user.id, cursors[2], 1)).map((u) => u.cursor)).toEqual([cursors[3]]);
      expect((await t.store.getUpdate(cursors[0]))!.message!.id).toBe('p-1');
      expect(await t.store.getUpdate(cursors[4] + 1000)).toBeNull();
    });

    it("reports with each appended row the user's previous cursor, so live updates chain without gaps", async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      const appended = [];
      for (const [from, to] of [
        [a, b],
        [b, a],
        [a, c],
        [c, b],
        [b, a]
      ] as const) {
        const r = await send(t.store, from, to);
        if (!r.ok) throw new Error('send failed');
        appended.push(...r.updates);
      }
      const chat = (await t.store.getChat(a.user.id, b.user.id))!;
      appended.push(...(await t.store.markRead(chat.id, a.user.id, 2))!.updates);
      for (const u of [a, b, c]) {
        const log = (await t.store.listUpdates(u.user.id, 0, 100)).map((r) => r.cursor);
        const mine = appended.filter((x) => x.userId === u.user.id);
        expect(mine.map((x) => x.cursor)).toEqual(log);
        // Each row points at the one before it in this user's log; the first at 0.
        expect(mine.map((x) => x.prev)).toEqual([0, ...log.slice(0, -1)]);
      }
    });

    it('marks reads monotonically, capped at the last seq', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      for (let i = 0; i < 3; i++) await send(t.store, a, b);
      const chat = (await t.store.getChat(a.user.id, b.user.id))!;
      const r = await t.store.markRead(chat.id, b.user.id, 99);
      expect(r!.seq).toBe(3);
      expect(r!.updates).toHaveLength(2);
      expect(await t.store.markRead(chat.id, b.user.id, 2)).toBeNull();
      expect(await t.store.markRead(chat.id, b.user.id, 3)).toBeNull();
      const up = await t.store.getUpdate(r!.updates[0].cursor);
      expect(up!.kind).toBe('read');
      expect(JSON.parse(up!.data)).toEqual({ readerId: b.user.id, seq: 3 });
      expect(up!.message).toBeNull();
    });

    it('deletes messages (unknown and repeated ids skipped) and summarizes chats', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      await send(t.store, a, b, 'd-1', T0 + 1);
      await send(t.store, b, a, 'd-2', T0 + 2);
      await send(t.store, b, a, 'd-3', T0 + 3);
      await send(t.store, c, a, 'd-4', T0 + 10);
      const ab = (await t.store.getChat(a.user.id, b.user.id))!;
      await t.store.markRead(ab.id, a.user.id, 2);

      let chats = await t.store.listChats(a.user.id);
      expect(chats.map((s) => s.peerId)).toEqual([c.user.id, b.user.id]);
      expect(chats[1]).toMatchObject({ myReadSeq: 2, peerReadSeq: 0, unread: 1 });
      expect(chats[1].lastMessage!.id).toBe('d-3');
      const fromB = (await t.store.listChats(b.user.id))[0];
      expect(fromB).toMatchObject({ peerId: a.user.id, myReadSeq: 0, peerReadSeq: 2, unread: 1 });

      const del = await t.store.deleteMessages(ab.id, ['d-3', 'nope', 'd-3', 'd-1']);
      expect(del.ids).toEqual(['d-3', 'd-1']);
      expect(del.updates).toHaveLength(2);
      expect(JSON.parse((await t.store.getUpdate(del.updates[0].cursor))!.data)).toEqual(['d-3', 'd-1']);
      expect(await t.store.deleteMessages(ab.id, ['d-3'])).toEqual({ ids: [], updates: [] });
      expect((await t.store.listMessages(ab.id, null, 10)).map((m) => m.id)).toEqual(['d-2']);
      // The update for a deleted message still joins the row, emptied and flagged.
      const first = (await t.store.listUpdates(a.user.id, 0, 1))[0];
      expect(first.message).toMatchObject({ id: 'd-1', deleted: true });
      expect(first.message!.body.length).toBe(0);

      chats = await t.store.listChats(a.user.id);
      expect(chats[1]).toMatchObject({ unread: 0 });
      expect(chats[1].lastMessage!.id).toBe('d-2');
      await t.store.deleteMessages(ab.id, ['d-2']);
      chats = await t.store.listChats(a.user.id);
      expect(chats[1].lastMessage).toBeNull();
    });

    it('edits a message: its body and edit time replaced, one edit update per member that joins the message; not once deleted', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      await send(t.store, a, b, 'e-1');
      await send(t.store, a, b, 'e-2');
      const ab = (await t.store.getChat(a.user.id, b.user.id))!;
      expect(await t.store.getMessage('e-1')).toMatchObject({ id: 'e-1', chatId: ab.id, editedAt: null, deleted: false });
      expect(await t.store.getMessage('nope')).toBeNull();
      const r = await t.store.editMessage(ab.id, 'e-1', Buffer.from('sealed:e-1 v2'), T0 + 5);
      expect(r!.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect(await t.store.getMessage('e-1')).toMatchObject({ body: Buffer.from('sealed:e-1 v2'), editedAt: T0 + 5 });
      const up = await t.store.getUpdate(r!.updates[0].cursor);
      expect(up).toMatchObject({ kind: 'edit', data: 'e-1', message: { id: 'e-1', editedAt: T0 + 5 } });
      expect((await t.store.listMessages(ab.id, null, 10)).map((m) => m.editedAt)).toEqual([T0 + 5, null]);
      // Another chat's id, or a deleted message: nothing changes, nothing is appended.
      const c = await mkUser(t.store);
      await send(t.store, a, c, 'e-3');
      expect(await t.store.editMessage(ab.id, 'e-3', Buffer.from('x'), T0 + 6)).toBeNull();
      await t.store.deleteMessages(ab.id, ['e-2']);
      expect(await t.store.editMessage(ab.id, 'e-2', Buffer.from('x'), T0 + 6)).toBeNull();
      expect((await t.store.listUpdates(b.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message', 'message', 'edit', 'delete']);
    });

    it('reacts: one reaction per message and user (replaced, removed), a react update per member; gone with a deleted message', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      await send(t.store, a, b, 'r-1');
      await send(t.store, a, b, 'r-2');
      const ab = (await t.store.getChat(a.user.id, b.user.id))!;
      const r = await t.store.reactMessage(ab.id, 'r-1', b.user.id, Buffer.from('sealed:👍'), T0 + 1);
      expect(r!.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect(await t.store.getUpdate(r!.updates[0].cursor)).toMatchObject({ kind: 'react', data: 'r-1', message: { id: 'r-1' } });
      // The author reacts too; Bob replaces his.
      await t.store.reactMessage(ab.id, 'r-1', a.user.id, Buffer.from('sealed:👍'), T0 + 2);
      await t.store.reactMessage(ab.id, 'r-1', b.user.id, Buffer.from('sealed:❤️'), T0 + 3);
      await t.store.reactMessage(ab.id, 'r-2', b.user.id, Buffer.from('sealed:😂'), T0 + 4);
      const mine = (rows: { messageId: string; userId: string; emoji: Buffer; at: number }[]) =>
        rows.map((x) => [x.messageId, x.userId === a.user.id ? 'a' : 'b', x.emoji.toString(), x.at]).sort((x, y) => Number(x[3]) - Number(y[3]));
      expect(mine(await t.store.listReactions(['r-1', 'r-2', 'nope']))).toEqual([
        ['r-1', 'a', 'sealed:👍', T0 + 2],
        ['r-1', 'b', 'sealed:❤️', T0 + 3],
        ['r-2', 'b', 'sealed:😂', T0 + 4]
      ]);
      expect(await t.store.listReactions([])).toEqual([]);
      // Removed: only Bob's.
      expect(await t.store.reactMessage(ab.id, 'r-1', b.user.id, null, T0 + 5)).not.toBeNull();
      expect(mine(await t.store.listReactions(['r-1']))).toEqual([['r-1', 'a', 'sealed:👍', T0 + 2]]);
      // Another chat's message, one not there, a deleted one: nothing changes, nothing is appended.
      const c = await mkUser(t.store);
      await send(t.store, a, c, 'r-3');
      expect(await t.store.reactMessage(ab.id, 'r-3', a.user.id, Buffer.from('x'), T0 + 6)).toBeNull();
      expect(await t.store.reactMessage(ab.id, 'nope', a.user.id, Buffer.from('x'), T0 + 6)).toBeNull();
      await t.store.deleteMessages(ab.id, ['r-2']);
      expect(await t.store.listReactions(['r-2'])).toEqual([]);
      expect(await t.store.reactMessage(ab.id, 'r-2', a.user.id, Buffer.from('x'), T0 + 6)).toBeNull();
      expect((await t.store.listUpdates(b.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message', 'message', 'react', 'react', 'react', 'react', 'react', 'delete']);
    });

    it("keeps each member's own chat settings: pin (its first time kept), mute, in that member's log only; at most maxPinned pins", async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      await send(t.store, a, b, 's-1');
      const ab = (await t.store.getChat(a.user.id, b.user.id))!;
      const r = await t.store.setChatSettings(ab.id, a.user.id, { pinned: true }, T0 + 1, 5);
      if (r === 'too_many_pinned') throw new Error('refused');
      expect(r.settings).toEqual({ pinnedAt: T0 + 1, mutedUntil: null, archived: false, markedUnread: false });
      expect(r.updates.map((u) => u.userId)).toEqual([a.user.id]);
      expect(await t.store.getUpdate(r.updates[0].cursor)).toMatchObject({ kind: 'settings', data: JSON.stringify(r.settings), message: null, chat: { id: ab.id } });
      // Pinned again: the first time stays and nothing is appended; a mute keeps the pin.
      expect(await t.store.setChatSettings(ab.id, a.user.id, { pinned: true }, T0 + 2, 5)).toEqual({
        settings: { pinnedAt: T0 + 1, mutedUntil: null, archived: false, markedUnread: false },
        updates: []
      });
      const muted = await t.store.setChatSettings(ab.id, a.user.id, { mutedUntil: Number.MAX_SAFE_INTEGER }, T0 + 3, 5);
      expect(muted !== 'too_many_pinned' && muted.settings).toEqual({ pinnedAt: T0 + 1, mutedUntil: Number.MAX_SAFE_INTEGER, archived: false, markedUnread: false });
      expect((await t.store.listChats(a.user.id))[0]).toMatchObject({ pinnedAt: T0 + 1, mutedUntil: Number.MAX_SAFE_INTEGER });
      expect(await t.store.getChatSettings(ab.id, a.user.id)).toEqual({ pinnedAt: T0 + 1, mutedUntil: Number.MAX_SAFE_INTEGER, archived: false, markedUnread: false });
      expect(await t.store.getChatSettings(ab.id, b.user.id)).toEqual({ pinnedAt: null, mutedUntil: null, archived: false, markedUnread: false });
      // The peer's summary and log know nothing of them.
      expect((await t.store.listChats(b.user.id))[0]).toMatchObject({ pinnedAt: null, mutedUntil: null, archived: false });
      expect((await t.store.listUpdates(b.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message']);
      expect((await t.store.listUpdates(a.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message', 'settings', 'settings']);

      // Five pinned chats: a sixth is refused and nothing changes; unpinning one makes room.
      const peers = [];
      for (let i = 0; i < 5; i++) {
        const p = await mkUser(t.store);
        await send(t.store, p, a, `s-p${i}`);
        peers.push((await t.store.getChat(a.user.id, p.user.id))!);
      }
      for (const [i, c] of peers.slice(0, 4).entries())
        expect(await t.store.setChatSettings(c.id, a.user.id, { pinned: true }, T0 + 10 + i, 5)).not.toBe('too_many_pinned');
      const before = await t.store.latestCursor(a.user.id);
      expect(await t.store.setChatSettings(peers[4].id, a.user.id, { pinned: true, mutedUntil: T0 + 99 }, T0 + 20, 5)).toBe('too_many_pinned');
      expect(await t.store.latestCursor(a.user.id)).toBe(before);
      // Re-pinning one already pinned is no new pin; the peer's own pins do not count for Alice.
      expect(await t.store.setChatSettings(ab.id, a.user.id, { pinned: true }, T0 + 21, 5)).not.toBe('too_many_pinned');
      expect(await t.store.setChatSettings(peers[4].id, peers[4].userA === a.user.id ? peers[4].userB : peers[4].userA, { pinned: true }, T0 + 21, 5)).not.toBe(
        'too_many_pinned'
      );
      const off = await t.store.setChatSettings(ab.id, a.user.id, { pinned: false, mutedUntil: null }, T0 + 22, 5);
      expect(off !== 'too_many_pinned' && off.settings).toEqual({ pinnedAt: null, mutedUntil: null, archived: false, markedUnread: false });
      const sixth = await t.store.setChatSettings(peers[4].id, a.user.id, { pinned: true }, T0 + 23, 5);
      expect(sixth !== 'too_many_pinned' && sixth.settings).toEqual({ pinnedAt: T0 + 23, mutedUntil: null, archived: false, markedUnread: false });
    });

    it("archives a member's chat; the peer's new message unarchives it in the same send unless muted then", async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      await send(t.store, b, a, 'ar-1');
      const ab = (await t.store.getChat(a.user.id, b.user.id))!;
      const set = async (change: Parameters<typeof t.store.setChatSettings>[2], at = T0 + 1) => {
        const r = await t.store.setChatSettings(ab.id, a.user.id, change, at, 5);
        if (r === 'too_many_pinned') throw new Error('refused');
        return r;
      };
      const archived = await set({ archived: true, pinned: true });
      expect(archived.settings).toEqual({ pinnedAt: T0 + 1, mutedUntil: null, archived: true, markedUnread: false });
      expect(await t.store.getUpdate(archived.updates[0].cursor)).toMatchObject({ kind: 'settings', data: JSON.stringify(archived.settings) });
      expect((await t.store.listChats(a.user.id))[0]).toMatchObject({ archived: true, pinnedAt: T0 + 1 });
      expect((await t.store.listChats(b.user.id))[0]).toMatchObject({ archived: false });
      expect((await set({ archived: true })).updates).toEqual([]);

      // My own message leaves my archive alone; the peer's takes the chat out of it, after the message in my log.
      const mine = await send(t.store, a, b, 'ar-2');
      expect(mine.ok && mine.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect((await t.store.getChatSettings(ab.id, a.user.id)).archived).toBe(true);
      const theirs = await t.store.sendMessage({ ...msgInput(b, a, 'ar-3'), at: T0 + 5 });
      if (!theirs.ok) throw new Error('send failed');
      const forA = theirs.updates.filter((u) => u.userId === a.user.id);
      expect(await Promise.all(forA.map(async (u) => (await t.store.getUpdate(u.cursor))?.kind))).toEqual(['message', 'settings']);
      expect(forA[1].prev).toBe(forA[0].cursor);
      const back = { pinnedAt: T0 + 1, mutedUntil: null, archived: false, markedUnread: false };
      expect((await t.store.getUpdate(forA[1].cursor))?.data).toBe(JSON.stringify(back));
      expect(await t.store.getChatSettings(ab.id, a.user.id)).toEqual(back);
      // The peer's log has the message only.
      expect(theirs.updates.filter((u) => u.userId === b.user.id)).toHaveLength(1);
      // The same message again (a retried send) changes nothing.
      await set({ archived: true });
      expect(await t.store.sendMessage({ ...msgInput(b, a, 'ar-3'), at: T0 + 6 })).toMatchObject({ ok: true, created: false, updates: [] });
      expect((await t.store.getChatSettings(ab.id, a.user.id)).archived).toBe(true);

      // Muted at the message's time: it stays archived; once the mute has ended, it comes back.
      await set({ mutedUntil: T0 + 100 });
      const quiet = await t.store.sendMessage({ ...msgInput(b, a, 'ar-4'), at: T0 + 99 });
      expect(quiet.ok && quiet.updates.filter((u) => u.userId === a.user.id)).toHaveLength(1);
      expect((await t.store.getChatSettings(ab.id, a.user.id)).archived).toBe(true);
      await t.store.sendMessage({ ...msgInput(b, a, 'ar-5'), at: T0 + 100 });
      expect(await t.store.getChatSettings(ab.id, a.user.id)).toEqual({ pinnedAt: T0 + 1, mutedUntil: T0 + 100, archived: false, markedUnread: false });
    });

    it("marks a member's chat as unread and clears it, in that member's log only; other settings and a new message keep the mark", async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      await send(t.store, b, a, 'mu-1');
      const ab = (await t.store.getChat(a.user.id, b.user.id))!;
      const set = async (change: Parameters<typeof t.store.setChatSettings>[2], at = T0 + 1) => {
        const r = await t.store.setChatSettings(ab.id, a.user.id, change, at, 5);
        if (r === 'too_many_pinned') throw new Error('refused');
        return r;
      };
      const marked = await set({ markedUnread: true });
      expect(marked.settings).toEqual({ pinnedAt: null, mutedUntil: null, archived: false, markedUnread: true });
      expect(marked.updates.map((u) => u.userId)).toEqual([a.user.id]);
      expect(await t.store.getUpdate(marked.updates[0].cursor)).toMatchObject({ kind: 'settings', data: JSON.stringify(marked.settings) });
      expect((await t.store.listChats(a.user.id))[0]).toMatchObject({ markedUnread: true });
      expect((await t.store.listChats(b.user.id))[0]).toMatchObject({ markedUnread: false });
      expect(await t.store.getChatSettings(ab.id, b.user.id)).toMatchObject({ markedUnread: false });
      expect((await set({ markedUnread: true })).updates).toEqual([]);

      // An archive and the peer's message (which unarchives) leave the mark; a clear of my history too.
      await set({ archived: true, mutedUntil: T0 + 50 });
      await t.store.sendMessage({ ...msgInput(b, a, 'mu-2'), at: T0 + 60 });
      expect(await t.store.getChatSettings(ab.id, a.user.id)).toEqual({ pinnedAt: null, mutedUntil: T0 + 50, archived: false, markedUnread: true });
      await t.store.clearForMe(ab.id, a.user.id, 1, false);
      expect((await t.store.getChatSettings(ab.id, a.user.id)).markedUnread).toBe(true);

      const cleared = await set({ markedUnread: false });
      expect(cleared.settings.markedUnread).toBe(false);
      expect(cleared.updates).toHaveLength(1);
      expect((await t.store.listChats(a.user.id))[0]).toMatchObject({ markedUnread: false, mutedUntil: T0 + 50 });
      expect((await t.store.listUpdates(b.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message', 'message']);
    });

    it('assigns gap-free seqs and in-order cursors under concurrent sends from two nodes', async () => {
      const other = await t.h.open();
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const ids = Array.from({ length: 60 }, () => randomUUID());
      const results = await Promise.all(ids.map((mid, i) => (i % 2 ? send(t.store, a, b, mid) : send(other, b, a, mid))));
      // The same ids again, concurrently: nothing new.
      const repeats = await Promise.all(ids.slice(0, 20).map((mid, i) => (i % 2 ? send(other, a, b, mid) : send(t.store, b, a, mid))));
      expect(results.every((r) => r.ok && r.created)).toBe(true);
      expect(repeats.every((r) => r.ok && !r.created)).toBe(true);
      const seqs = results.map((r) => (r.ok ? r.message.seq : -1)).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      for (const u of [a, b]) {
        const ups = await t.store.listUpdates(u.user.id, 0, 1000);
        expect(ups).toHaveLength(60);
        // Cursor order matches seq order: a reader paging by cursor sees the chat in order.
        expect(ups.map((x) => x.message!.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      }
    });

    it('cloud media: attached once on send, opened once, due rows claimed exactly once across nodes, finished with the message', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      const media = (mediaId: string, to = b) => ({
        id: mediaId,
        ownerUserId: a.user.id,
        ownerDeviceId: a.device.id,
        toUserId: to.user.id,
        meta: Buffer.from(`sealed-meta:${mediaId}`),
        size: 1234,
        createdAt: T0
      });
      const withMedia = (msgId: string, mediaId: string, ttl: number, from = a, to = b) =>
        t.store.sendMessage({
          id: msgId,
          senderId: from.user.id,
          senderDeviceId: from.device.id,
          recipientId: to.user.id,
          body: Buffer.from(`sealed:${msgId}`),
          createdAt: T0 + 1,
          media: { id: mediaId, ttl }
        });
      for (const m of ['m-1', 'm-2', 'm-3', 'm-4', 'm-old']) await t.store.createCloudMedia(media(m));
      await t.store.createCloudMedia({ ...media('m-new'), createdAt: T0 + DAY });
      expect(await t.store.getCloudMedia('m-1')).toEqual({ ...media('m-1'), messageId: null, ttl: 0, openedAt: null, deadline: null });
      expect(await t.store.getCloudMedia('nope')).toBeNull();
      // Opening needs an attached media.
      expect(await t.store.openCloudMedia('m-1', T0)).toBeNull();

      // Only the uploader, only to the user it was uploaded for, only once; nothing is created otherwise.
      expect(await withMedia('cm-x', 'm-1', 5, b, a)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect(await withMedia('cm-x', 'm-1', 5, a, c)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect(await withMedia('cm-x', 'nope', 5)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect(await t.store.getChat(a.user.id, c.user.id)).toBeNull();
      const sent = await withMedia('cm-1', 'm-1', 5);
      expect(sent.ok).toBe(true);
      expect(await t.store.getCloudMedia('m-1')).toMatchObject({ messageId: 'cm-1', ttl: 5 });
      expect(await withMedia('cm-2', 'm-1', 5)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect((await withMedia('cm-1', 'm-1', 5)).ok).toBe(true); // idempotent resend
      await withMedia('cm-2', 'm-2', 5);
      await withMedia('cm-3', 'm-3', 0);
      await withMedia('cm-4', 'm-4', 60);
      const chat = (await t.store.getChat(a.user.id, b.user.id))!;

      // Opening sets the deadline once and re-announces the message to both members.
      const o1 = await t.store.openCloudMedia('m-1', T0 + 100);
      expect(o1!.media).toMatchObject({ openedAt: T0 + 100, deadline: T0 + 5100 });
      expect(o1!.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect((await t.store.getUpdate(o1!.updates[0].cursor))!).toMatchObject({ kind: 'message', data: 'cm-1' });
      const o1again = await t.store.openCloudMedia('m-1', T0 + 999);
      expect(o1again).toEqual({ media: expect.objectContaining({ openedAt: T0 + 100, deadline: T0 + 5100 }), updates: [] });
      expect(await t.store.openCloudMedia('m-3', T0 + 100)).toMatchObject({ media: { openedAt: T0 + 100, deadline: null }, updates: [] });
      await t.store.openCloudMedia('m-2', T0 + 200);
      await t.store.openCloudMedia('m-4', T0 + 300);
      expect(await t.store.nextMediaDeadline(30_000)).toBe(T0 + 5100);

      // Two nodes claim concurrently: disjoint, together every due row once.
      const other = await t.h.open();
      const now = T0 + 6000;
      const [x, y] = await Promise.all([t.store.claimDueMedia('node-a', now, now - 30_000, 10), other.claimDueMedia('node-b', now, now - 30_000, 10)]);
      expect([...x, ...y].map((r) => r.id).sort()).toEqual(['m-1', 'm-2']);
      expect([...x, ...y].find((r) => r.id === 'm-1')).toEqual({ id: 'm-1', messageId: 'cm-1', deadline: T0 + 5100 });
      expect(await t.store.claimDueMedia('node-c', now, now - 30_000, 10)).toEqual([]);
      // Claimed rows are ready again once stale; the unexpired timer comes later.
      expect(await t.store.nextMediaDeadline(30_000)).toBe(now + 30_000);

      // Only the claimer finishes; finishing deletes the message for both members, once.
      const m1 = x.some((r) => r.id === 'm-1') ? 'node-a' : 'node-b';
      expect(await t.store.finishDueMedia('m-1', 'node-c')).toEqual({ done: false, updates: [] });
      const fin = await t.store.finishDueMedia('m-1', m1);
      expect(fin.done).toBe(true);
      expect(fin.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect(JSON.parse((await t.store.getUpdate(fin.updates[0].cursor))!.data)).toEqual(['cm-1']);
      expect(await t.store.finishDueMedia('m-1', m1)).toEqual({ done: false, updates: [] });
      expect(await t.store.getCloudMedia('m-1')).toBeNull();
      expect((await t.store.listMessages(chat.id, null, 10)).map((m) => m.id)).toEqual(['cm-2', 'cm-3', 'cm-4']);

      // A stale claim is retaken by exactly one node; a message deleted meanwhile gives no second delete.
      await t.store.deleteMessages(chat.id, ['cm-2']);
      expect(await t.store.getCloudMedia('m-2')).toBeNull(); // deleting the message took its media along
      const later = now + 30_001;
      expect(await t.store.claimDueMedia('node-d', later, later - 30_000, 10)).toEqual([]);

      // Deleting a message reports its media for file removal.
      expect(await t.store.deleteMessages(chat.id, ['cm-3'])).toMatchObject({ ids: ['cm-3'], media: ['m-3'] });

      // Uploads never attached are purged by age.
      expect((await t.store.purgeUnattachedMedia(T0 + 1)).sort()).toEqual(['m-old']);
      expect(await t.store.getCloudMedia('m-new')).not.toBeNull();
      expect(await t.store.getCloudMedia('m-4')).not.toBeNull();
    });

    it('cloud media quota: reserved before writing, settled to the real size, released by delete, purge and expiry', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const row = (mediaId: string, size: number, createdAt = T0) => ({
        id: mediaId,
        ownerUserId: a.user.id,
        ownerDeviceId: a.device.id,
        toUserId: b.user.id,
        meta: Buffer.from('m'),
        size,
        createdAt
      });
      expect(await t.store.reserveCloudMedia(row('q-1', 600), 1000)).toBe(true);
      expect(await t.store.reserveCloudMedia(row('q-2', 401), 1000)).toBe(false);
      expect(await t.store.getCloudMedia('q-2')).toBeNull();
      expect(await t.store.cloudMediaUsage(a.user.id)).toBe(600);
      expect(await t.store.cloudMediaUsage(b.user.id)).toBe(0);
      // Settling shrinks the reservation to what arrived, making room.
      expect(await t.store.settleCloudMedia('q-1', 100)).toBe(true);
      expect((await t.store.getCloudMedia('q-1'))?.size).toBe(100);
      expect(await t.store.reserveCloudMedia(row('q-2', 900), 1000)).toBe(true);
      expect(await t.store.reserveCloudMedia(row('q-3', 1), 1000)).toBe(false);
      // A failed upload releases its reservation.
      expect(await t.store.deleteCloudMedia('q-2')).toBe(true);
      expect(await t.store.deleteCloudMedia('q-2')).toBe(false);
      // Settling a row deleted meanwhile (the account was deleted) says so.
      expect(await t.store.settleCloudMedia('q-2', 10)).toBe(false);
      expect(await t.store.cloudMediaUsage(a.user.id)).toBe(100);
      // Attached and then deleted with its message, or timed out: released too.
      const sent = await t.store.sendMessage({
        id: 'qm-1',
        senderId: a.user.id,
        senderDeviceId: a.device.id,
        recipientId: b.user.id,
        body: Buffer.from('x'),
        createdAt: T0 + 1,
        media: { id: 'q-1', ttl: 5 }
      });
      expect(sent.ok).toBe(true);
      await t.store.openCloudMedia('q-1', T0 + 2);
      const [due] = await t.store.claimDueMedia('node-a', T0 + 10_000, T0, 10);
      expect(due?.id).toBe('q-1');
      expect((await t.store.finishDueMedia('q-1', 'node-a')).done).toBe(true);
      expect(await t.store.cloudMediaUsage(a.user.id)).toBe(0);
      // An upload that never finished (a crash) is released by the unattached purge.
      expect(await t.store.reserveCloudMedia(row('q-4', 1000), 1000)).toBe(true);
      expect(await t.store.purgeUnattachedMedia(T0 + 1)).toEqual(['q-4']);
      expect(await t.store.cloudMediaUsage(a.user.id)).toBe(0);
    });

    it('cloud media quota: concurrent reservations on two nodes racing for the last bytes never overshoot', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const other = await t.h.open();
      const row = (mediaId: string) => ({
        id: mediaId,
        ownerUserId: a.user.id,
        ownerDeviceId: a.device.id,
        toUserId: b.user.id,
        meta: Buffer.from('m'),
        size: 300,
        createdAt: T0
      });
      expect(await t.store.reserveCloudMedia({ ...row('base'), size: 400 }, 1000)).toBe(true);
      // 600 bytes left: exactly two of the twelve 300-byte uploads fit.
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? other : t.store).reserveCloudMedia(row(`race-${i}`), 1000)));
      expect(results.filter(Boolean)).toHaveLength(2);
      expect(await t.store.cloudMediaUsage(a.user.id)).toBe(1000);
    });
  },
  { max: 8 }
);
