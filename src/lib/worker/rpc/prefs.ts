/** This device's preferences. */
import { loadPrefs } from '../prefs';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'emit'>;

export const prefsHandlers: Handlers<'prefs' | 'setPrefs', Ctx> = {
  prefs: async (ctx) => loadPrefs(ctx.db),

  setPrefs: async (ctx, change) => {
    const prefs = { ...(await loadPrefs(ctx.db)), ...change };
    await ctx.db.meta.put({ key: 'prefs', value: prefs });
    ctx.emit({ type: 'prefs' });
    return prefs;
  }
};
