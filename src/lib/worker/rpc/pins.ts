/** Pinned messages inside a chat (../pins.ts): the pinned bar's list, and pinning or unpinning one. */
import { LIMITS } from '$lib/api/limits';
import { cloudPinned, secretPinned } from '../pins';
import { NetError, request } from '../net';
import type { CoreContext, Handlers } from './context';
import { CoreError } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'sync' | 'secret'>;

export const pinsHandlers: Handlers<'pinnedMessages' | 'pinMessage', Ctx> = {
  pinnedMessages: async (ctx, { kind, id }) => (kind === 'cloud' ? cloudPinned(ctx.db, ctx.vault, id) : secretPinned(ctx.db, ctx.vault, id)),

  pinMessage: async (ctx, { kind, id, msg, pinned }) => {
    if (kind === 'secret') {
      await (await ctx.secret()).pinMessage(id, msg, pinned);
      return null;
    }
    const row = await ctx.db.messages.get(msg);
    // Only a message the relay holds (not one still in the outbox) can be pinned there.
    if (row?.peerId !== id || row.seq === 0) throw new NetError('not_found', 'This message cannot be pinned.');
    // The relay counts too; asked first here, the answer is the same offline.
    if (pinned && (await cloudPinned(ctx.db, ctx.vault, id)).filter((p) => p.id !== msg).length >= LIMITS.pinnedMessagesMax)
      throw new CoreError('too_many_pinned', `Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat`);
    await request('POST', `/api/cloud/chats/${encodeURIComponent(id)}/pin`, { id: msg, pinned }, null);
    // The relay logged it for every device of both users, this one too: the log brings it here.
    await ctx.sync().catch(() => undefined);
    return null;
  }
};
