/**
 * Forwarding cloud messages to another cloud chat: the relay makes the copies from its own stored
 * originals (`POST /api/cloud/forward`), so it needs the connection; offline the call fails and
 * nothing changes. Secret chats have no such method: their messages never leave the device this way.
 */
import { ForwardCloudReq, ForwardCloudRes } from '$lib/api/wire';
import type { MessageRow } from '$lib/store/db';
import { sealMessage } from '../cloud';
import { isOutage, NetError, request } from '../net';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'emit' | 'sync'>;

/**
 * The new ids of forwards not answered yet, by what they asked: the same forward asked again (after a
 * lost answer or a dropped connection) reuses them, and the relay makes no second copy.
 */
const unanswered = new Map<string, string[]>();

export const forwardHandlers: Handlers<'forwardMessages', Ctx> = {
  forwardMessages: async (ctx, { fromPeerId, toPeerId, ids: asked }) => {
    // Only this chat's messages the relay stored: one still in the outbox has no original there to copy.
    const rows = await ctx.db.messages.bulkGet(asked);
    if (rows.some((r) => r?.peerId !== fromPeerId || r.seq === 0)) throw new CoreError('not_found', 'A message not sent yet, or no longer here, cannot be forwarded.');
    // In the chat's order, whatever order they were picked in.
    const ids = (rows as MessageRow[]).sort((a, b) => a.seq - b.seq).map((r) => r.id);
    const key = JSON.stringify([fromPeerId, toPeerId, ids]);
    const newIds = unanswered.get(key) ?? ids.map(() => crypto.randomUUID());
    unanswered.set(key, newIds);
    const body: ForwardCloudReq = { toUserId: toPeerId, fromPeerId, ids, newIds };
    let copies;
    try {
      copies = (await request('POST', '/api/cloud/forward', body, ForwardCloudRes)).messages;
    } catch (e) {
      // Refused for good: trying again is a new forward. An outage keeps the ids for the retry.
      if (!isOutage(e)) unanswered.delete(key);
      if (e instanceof NetError && e.code === 'offline') throw new NetError('offline', 'You are offline. Nothing was forwarded: try again once connected.');
      throw e;
    }
    unanswered.delete(key);
    // Stored now so the chat opened next shows them; the sync brings the same rows (and to the other devices).
    const sealed = await Promise.all(copies.filter((m) => m.peerId === toPeerId).map((m) => sealMessage(ctx.vault, m)));
    await ctx.db.transaction('rw', ctx.db.messages, ctx.db.chats, async () => {
      const chat = await ctx.db.chats.get(toPeerId);
      // A chat this device does not hold yet comes with its peer through the sync.
      if (!chat || !sealed.length) return;
      const have = await ctx.db.messages.bulkGet(sealed.map((r) => r.id));
      await ctx.db.messages.bulkAdd(sealed.filter((_, i) => !have[i]) as MessageRow[]);
      await ctx.db.chats.update(toPeerId, { lastAt: Math.max(chat.lastAt, ...sealed.map((r) => r.createdAt)) });
    });
    ctx.emit({ type: 'messages', peerId: toPeerId });
    ctx.emit({ type: 'chats' });
    void ctx.sync().catch(() => undefined);
    return null;
  }
};
