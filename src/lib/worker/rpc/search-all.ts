/** Search across every chat on this device (../search-all.ts): the chat list's "Messages" results. */
import { searchNeedle } from '$lib/api/search-text';
import { searchAll } from '../search-all';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me'>;

export const searchAllHandlers: Handlers<'searchMessages', Ctx> = {
  searchMessages: async (ctx, { query, before, limit }) => {
    const needle = searchNeedle(query);
    if (!needle) return { results: [], next: null, partial: false };
    // Superseded by a newer search: the page reads only the newest answer.
    return (await searchAll(ctx.db, ctx.vault, ctx.me, needle, query, before, limit)) ?? { results: [], next: null, partial: false };
  }
};
