/** Cloud chats: reading pages, sending, read receipts, deleting, typing. */
import type { MessageRow } from '$lib/store/db';
import { localPage, localPageAfter, messageView, msgPlace, storedIds, withStoredQuotes, type Body } from '../cloud';
import { olderFromRelay } from '../cloud-history';
import { deleteSentDraft, sendTicket, sentDraftDeleted } from '../draft-order';
import { cloudDraftId, draftEvent } from '../drafts';
import { rewriteQueuedSend, takeAction } from '../cloud-actions-local';
import { hideMessages } from '../hidden';
import { NetError } from '../net';
import { advanceRead } from '../unread';
import { isBlocked } from '../blocks';
import { isSelfChat } from '../saved';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'flush' | 'sendFrame'>;

export const cloudHandlers: Handlers<
  'messages' | 'messageIds' | 'messageRows' | 'send' | 'markRead' | 'deleteMessages' | 'editMessage' | 'reactMessage' | 'deleteForMe' | 'typing',
  Ctx
> = {
  messages: async (ctx, { peerId, beforeSeq, afterSeq, limit }) => {
    const n = limit ?? 50;
    const chat = await ctx.db.chats.get(peerId);
    const me = ctx.me;
    const viewsOf = async (rows: MessageRow[]) => {
      const views = [];
      for (const row of rows) views.push(await messageView(ctx.vault, row, me, chat?.peerReadSeq ?? 0));
      return withStoredQuotes(ctx.db, ctx.vault, peerId, me, views);
    };
    if (afterSeq !== undefined) {
      // Moving back down a long chat: everything after afterSeq is already on this device.
      const { stored, pending, hasNewer } = await localPageAfter(ctx.db, peerId, afterSeq, n);
      return { messages: await viewsOf([...stored, ...pending]), hasMore: afterSeq > 0 || (stored[0]?.seq ?? 1) > 1, hasNewer };
    }
    let { stored, pending } = await localPage(ctx.db, peerId, beforeSeq, n);
    const oldest = stored[0]?.seq ?? beforeSeq ?? Infinity;
    let hasMore = oldest > 1;
    const want = n - stored.length;
    if (want > 0 && hasMore && Number.isFinite(oldest)) {
      // Older history this device has not seen (e.g. before its cursor): ask the server.
      try {
        const { rows, sent } = await olderFromRelay(ctx.db, ctx.vault, me, peerId, oldest, want);
        stored = [...rows, ...stored];
        hasMore = sent.length === want && (sent[0]?.seq ?? 1) > 1;
      } catch (e) {
        if (!(e instanceof NetError) || e.code !== 'offline') throw e;
      }
    }
    // A page before beforeSeq has newer messages after it by definition.
    return { messages: await viewsOf([...stored, ...pending]), hasMore, hasNewer: beforeSeq !== undefined };
  },

  messageIds: async (ctx, { peerId, fromSeq, toSeq }) => storedIds(ctx.db, peerId, fromSeq, toSeq),

  messageRows: async (ctx, { peerId, ids }) => {
    const [chat, rows] = await Promise.all([ctx.db.chats.get(peerId), ctx.db.messages.bulkGet(ids)]);
    const mine = rows.filter((r): r is MessageRow => r?.peerId === peerId);
    const views = await Promise.all(mine.map((row) => messageView(ctx.vault, row, ctx.me, chat?.peerReadSeq ?? 0)));
    return withStoredQuotes(ctx.db, ctx.vault, peerId, ctx.me, views);
  },

  send: async (ctx, { peerId, text, replyTo, quote }) => {
    // Taken as the call arrives, before any await: saves of the draft the page issued before it are older (../draft-order.ts).
    const draftTicket = sendTicket(cloudDraftId(peerId));
    // The relay would refuse it (you_blocked): said at once, nothing queued (the chat screen offers Unblock instead).
    if (await isBlocked(ctx.db, peerId)) throw new CoreError('you_blocked', 'You blocked this user. Unblock them to write to them.');
    const id = crypto.randomUUID();
    const createdAt = Date.now();
    const body: Body = { text, replyTo: replyTo ?? null, ...(replyTo && quote ? { quote } : {}) };
    const box = await ctx.vault.seal(msgPlace(id), body);
    const row: MessageRow = { id, peerId, seq: 0, senderId: ctx.me, createdAt, status: 'pending', box };
    try {
      await ctx.db.transaction('rw', [ctx.db.messages, ctx.db.outbox, ctx.db.chats, ctx.db.drafts], async () => {
        await ctx.db.messages.add(row);
        await ctx.db.outbox.add({ id, peerId, createdAt, attempts: 0, box });
        await ctx.db.chats.update(peerId, { lastAt: createdAt });
        // The text sent is no draft any more, even if the tab closes before the page saves a blank one.
        await deleteSentDraft(ctx.db, cloudDraftId(peerId), draftTicket);
      });
    } finally {
      // Open screens of this chat (other tabs too) empty their composer.
      if (sentDraftDeleted(draftTicket)) for (const e of draftEvent(cloudDraftId(peerId))) ctx.emit(e);
    }
    ctx.emit({ type: 'messages', peerId });
    ctx.emit({ type: 'chats' });
    void ctx.flush();
    return messageView(ctx.vault, row, ctx.me, 0);
  },

  markRead: async (ctx, { peerId, seq }) => {
    if (!(await advanceRead(ctx.db, peerId, seq, ctx.me))) return null;
    ctx.emit({ type: 'chats' });
    void ctx.flush();
    return null;
  },

  editMessage: async (ctx, { peerId, id, text }) => {
    const row = await ctx.db.messages.get(id);
    if (row?.peerId !== peerId || row.senderId !== ctx.me) throw new NetError('not_found', 'This message cannot be edited.');
    // Still in the outbox: its queued send takes the new text (the relay never had the old one).
    if (row.seq === 0 && (await rewriteQueuedSend(ctx.db, ctx.vault, id, text))) {
      ctx.emit({ type: 'messages', peerId, edited: [id] });
      ctx.emit({ type: 'chats' });
      return null;
    }
    // A send refused for good (failed) has no copy anywhere to edit.
    if ((await ctx.db.messages.get(id))?.seq === 0) throw new NetError('not_found', 'This message cannot be edited.');
    // Shown here at once and sent when the relay can be reached; the log brings it to my other devices.
    await takeAction(ctx, peerId, { kind: 'edit', req: { id, text }, at: Date.now() });
    return null;
  },

  reactMessage: async (ctx, { peerId, id, emoji }) => {
    const row = await ctx.db.messages.get(id);
    if (row?.peerId !== peerId || row.seq === 0) throw new NetError('not_found', 'This message cannot take a reaction.');
    await takeAction(ctx, peerId, { kind: 'react', req: { id, emoji } });
    return null;
  },

  deleteMessages: async (ctx, { peerId, ids: asked }) => {
    // Only this chat's messages: ids of another chat (a stale selection) are neither deleted here nor sent.
    const found = await ctx.db.messages.bulkGet(asked);
    const rows = found.filter((r): r is MessageRow => r?.peerId === peerId);
    if (!rows.length) return null;
    // The seqs let a refusal read them back from the relay; one only in the outbox is sent too (a send may be on its way).
    const seqs = rows.flatMap((r) => (r.seq > 0 ? [r.seq] : []));
    await takeAction(ctx, peerId, { kind: 'delete', req: { ids: rows.map((r) => r.id) }, seqs });
    return null;
  },

  /** Deletes on this device only; the peer keeps the messages (./hidden). */
  deleteForMe: async (ctx, { peerId, ids }) => {
    await hideMessages(ctx.db, peerId, ids);
    ctx.emit({ type: 'messages', peerId });
    ctx.emit({ type: 'chats' });
    return null;
  },

  typing: async (ctx, { peerId }) => {
    // Nobody else reads Saved Messages (the relay would answer an error frame).
    if (!isSelfChat(peerId, ctx.me)) ctx.sendFrame({ t: 'typing', peerId });
    return null;
  }
};
