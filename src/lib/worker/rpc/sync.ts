/** Catching up and retrying now (the page asks when the app or the network comes back). */
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'kick' | 'sync' | 'flush' | 'secret' | 'retryQueued' | 'networkLost'>;

export const syncHandlers: Handlers<'syncNow' | 'retryQueued' | 'networkLost', Ctx> = {
  syncNow: async (ctx) => {
    ctx.kick();
    await ctx.sync();
    await ctx.flush();
    await (await ctx.secret()).flush();
    return null;
  },

  retryQueued: async (ctx) => {
    await ctx.retryQueued();
    return null;
  },

  networkLost: async (ctx) => {
    ctx.networkLost();
    return null;
  }
};
