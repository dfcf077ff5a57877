/** Verifying a secret chat: its key fingerprint and marking the peer verified. */
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'secret' | 'secretModule'>;

export const verificationHandlers: Handlers<'secretKey' | 'secretVerify', Ctx> = {
  secretKey: async (ctx, { id }) => (await ctx.secretModule()).secretKey(ctx.db, ctx.vault, await ctx.db.secretChats.get(id)),

  secretVerify: async (ctx, { id, fingerprint }) => {
    await (await ctx.secret()).verify(id, fingerprint);
    return null;
  }
};
