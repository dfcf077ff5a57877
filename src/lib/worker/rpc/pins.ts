/** Pinned messages inside a chat (../pins.ts): the pinned bar's list, and pinning or unpinning one. */
import { LIMITS } from '$lib/api/limits';
import { takeAction } from '../cloud-actions-local';
import { cloudPinned, cloudPinnedIds, PINS_FULL, secretPinned } from '../pins';
import { NetError } from '../net';
import type { CoreContext, Handlers } from './context';
import { CoreError } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'flush' | 'secret'>;

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
    // The relay counts too; asked here first, counting the pins still queued (they are on the row).
    if (pinned && (await cloudPinnedIds(ctx.db, id)).filter((other) => other !== msg).length >= LIMITS.pinnedMessagesMax)
      throw new CoreError('too_many_pinned', PINS_FULL);
    // Queued like a reaction (../cloud-actions.ts): shown at once, sent when the relay answers, offline too.
    await takeAction(ctx, id, { kind: 'pin', req: { id: msg, pinned }, at: Date.now() });
    return null;
  }
};
