/** Search inside a chat (../search.ts), and the window's page around one message (where a result is shown). */
import { searchNeedle } from '$lib/api/search-text';
import { searchCloud, searchSecret } from '../search';
import { cloudHandlers } from './cloud';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'flush' | 'sendFrame' | 'sync' | 'secretModule'>;

/** Rows read on each side of the message a window opens around (a screen and more either way). */
const AROUND = 25;

export const searchHandlers: Handlers<'searchChat' | 'messagesAround' | 'secretMessagesAround', Ctx> = {
  searchChat: async (ctx, { kind, id, query }) => {
    const needle = searchNeedle(query);
    if (!needle) return { ids: [], more: false, partial: false };
    const res = await (kind === 'cloud' ? searchCloud : searchSecret)(ctx.db, ctx.vault, id, needle);
    // Superseded by a newer search of this chat: the page reads only the newest answer.
    return res ?? { ids: [], more: false, partial: false };
  },

  messagesAround: async (ctx, { peerId, messageId }) => {
    const row = await ctx.db.messages.get(messageId);
    if (row?.peerId !== peerId) return null;
    // Still in the outbox (seq 0): it is part of the newest page.
    if (row.seq === 0) return cloudHandlers.messages(ctx, { peerId, limit: AROUND * 2 });
    const [older, from] = await Promise.all([
      cloudHandlers.messages(ctx, { peerId, beforeSeq: row.seq, limit: AROUND }),
      cloudHandlers.messages(ctx, { peerId, afterSeq: row.seq - 1, limit: AROUND + 1 })
    ]);
    return { messages: [...older.messages, ...from.messages], hasMore: older.hasMore, hasNewer: from.hasNewer };
  },

  secretMessagesAround: async (ctx, { id, messageId }) => {
    const row = await ctx.db.secretMessages.get(messageId);
    if (row?.chatId !== id) return null;
    const { secretMessages } = await ctx.secretModule();
    const at = { at: row.at, id: row.id };
    const [older, from] = await Promise.all([
      secretMessages(ctx.db, ctx.vault, id, { before: at, limit: AROUND }),
      secretMessages(ctx.db, ctx.vault, id, { from: at, limit: AROUND + 1 })
    ]);
    return { messages: [...older.messages, ...from.messages], hasMore: older.hasMore, hasNewer: from.hasNewer };
  }
};
