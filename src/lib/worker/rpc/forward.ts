/**
 * Forwarding cloud messages to another cloud chat: the relay makes the copies from its own stored
 * originals (`POST /api/cloud/forward`). With nothing waiting in the outbox it is asked at once, so a
 * refusal is said where the forward was chosen. Offline (or the relay unreachable, or behind messages
 * still waiting) the forward is queued in the outbox as my pending copies, shown at once and sent in
 * their turn with the same new ids (../outbox-forward.ts), like a message written offline. Secret
 * chats have no such method: their messages never leave the device this way.
 */
import { ForwardCloudRes, type CloudMessage, type ForwardCloudReq, type PublicUser } from '$lib/api/wire';
import type { MessageRow } from '$lib/store/db';
import { sealMessage } from '../cloud';
import { OUTBOX_LOCK, withLock } from '../locks';
import { isTemporary, request } from '../net';
import { copyIds, pendingCopies, storePending } from '../outbox-forward';
import { isSelfChat, savedChat } from '../saved';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'session' | 'emit' | 'sync' | 'flush'>;

/** The relay's copies stored now, so the chat opened next shows them; the sync brings the same rows (and to my other devices). */
async function storeCopies(ctx: Ctx, toPeerId: string, copies: CloudMessage[]): Promise<void> {
  const sealed = await Promise.all(copies.filter((m) => m.peerId === toPeerId).map((m) => sealMessage(ctx.vault, m)));
  await ctx.db.transaction('rw', ctx.db.messages, ctx.db.chats, async () => {
    const chat = await ctx.db.chats.get(toPeerId);
    // A chat this device does not hold yet comes with its peer through the sync.
    if (!chat || !sealed.length) return;
    const have = await ctx.db.messages.bulkGet(sealed.map((r) => r.id));
    await ctx.db.messages.bulkAdd(sealed.filter((_, i) => !have[i]) as MessageRow[]);
    await ctx.db.chats.update(toPeerId, { lastAt: Math.max(chat.lastAt, ...sealed.map((r) => r.createdAt)) });
  });
}

export const forwardHandlers: Handlers<'forwardMessages', Ctx> = {
  forwardMessages: async (ctx, { fromPeerId, toPeerId, ids: asked }) => {
    // Only this chat's messages the relay stored: one still in the outbox has no original there to copy.
    const rows = await ctx.db.messages.bulkGet(asked);
    if (rows.some((r) => r?.peerId !== fromPeerId || r.seq === 0)) throw new CoreError('not_found', 'A message not sent yet, or no longer here, cannot be forwarded.');
    // In the chat's order, whatever order they were picked in.
    const originals = (rows as MessageRow[]).sort((a, b) => a.seq - b.seq);
    const ids = originals.map((r) => r.id);
    // The relay copies the text it holds: an edit still waiting to reach it would be lost on the copy.
    if ((await ctx.db.cloudActions.bulkGet(ids.map((id) => `edit:${id}`))).some(Boolean))
      throw new CoreError('not_ready', 'A message edited offline can be forwarded once its edit reaches the server.');
    // Saved Messages need no relay to exist here: offline, the copies have their chat to wait in.
    if (ctx.session && isSelfChat(toPeerId, ctx.me)) await savedChat(ctx.db, ctx.session);
    const newIds = copyIds(ids.length);
    const queued = await withLock(OUTBOX_LOCK, async () => {
      // Nothing waits before it (the outbox's flush holds this lock while it sends): asked at once.
      if (!(await ctx.db.outbox.count())) {
        const body: ForwardCloudReq = { toUserId: toPeerId, fromPeerId, ids, newIds };
        try {
          await storeCopies(ctx, toPeerId, (await request('POST', '/api/cloud/forward', body, ForwardCloudRes)).messages);
          return false;
        } catch (e) {
          // Refused for good (or revoked): said as it is, nothing stored. An outage queues it below,
          // with the same new ids: a request that reached the relay makes no second copy.
          if (!isTemporary(e)) throw e;
        }
      }
      const fromPeer = (await ctx.db.chats.get(fromPeerId))?.peer;
      const authors = new Map<string, PublicUser>();
      if (fromPeer) authors.set(fromPeer.id, fromPeer);
      if (ctx.session) authors.set(ctx.me, ctx.session.user);
      const copies = await pendingCopies(ctx.db, ctx.vault, ctx.me, toPeerId, originals, newIds, Date.now(), authors);
      if (!(await storePending(ctx.db, toPeerId, copies))) throw new CoreError('not_stored', 'This chat is not on this device yet: forward to it once connected.');
      return true;
    });
    ctx.emit({ type: 'messages', peerId: toPeerId });
    ctx.emit({ type: 'chats' });
    // Queued: sent now if the relay answers again, else with the outbox's retries.
    if (queued) void ctx.flush();
    else void ctx.sync().catch(() => undefined);
    return null;
  }
};
