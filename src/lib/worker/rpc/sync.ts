/** Catching up and retrying now (the page asks when the app or the network comes back). */
import { pauseTransactions } from '$lib/store/tx-locks';
import { receiveHeld } from '../locked-inbox';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'kick' | 'sync' | 'flush' | 'secret' | 'retryQueued' | 'networkLost'>;

/**
 * How long a page being left keeps its worker's storage paused: its replacement arrives well within
 * it. A navigation that did not happen after all (a download, say) delays storing by this much.
 */
const LEAVE_PAUSE_MS = 5000;

export const syncHandlers: Handlers<'syncNow' | 'retryQueued' | 'networkLost' | 'leaving', Ctx> = {
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
  },

  leaving: async () => {
    await pauseTransactions(new Promise((resume) => setTimeout(resume, LEAVE_PAUSE_MS)));
    return null;
  }
};
