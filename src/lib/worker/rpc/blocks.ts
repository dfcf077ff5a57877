/** Blocked users (../blocks.ts): the list as this device holds it, and blocking or unblocking at the relay. */
import { blockUser, readBlocks, unblockUser } from '../blocks';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'me' | 'emit'>;

export const blocksHandlers: Handlers<'blockedUsers' | 'blockUser' | 'unblockUser', Ctx> = {
  blockedUsers: async (ctx) => readBlocks(ctx.db),

  blockUser: async (ctx, { userId }) => {
    if (userId === ctx.me) throw new CoreError('bad_request', 'You cannot block yourself.');
    return blockUser(ctx.db, ctx.emit, userId);
  },

  unblockUser: async (ctx, { userId }) => {
    await unblockUser(ctx.db, ctx.emit, userId);
    return null;
  }
};
