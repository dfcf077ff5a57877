/** Catching up and retrying now (the page asks when the app or the network comes back). */
import { receiveHeld } from '../locked-inbox';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'kick' | 'sync' | 'flush' | 'secret' | 'retryQueued' | 'networkLost'>;

export const syncHandlers: Handlers<'syncNow' | 'retryQueued' | 'networkLost', Ctx> = {
  syncNow: async (ctx) => {
    ctx.kick();
    await ctx.sync();
    await ctx.flush();
    // A push while this tab is open but not in front: with a passcode set the service worker kept the envelopes.
    await receiveHeld(ctx.db, ctx.secret);
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
