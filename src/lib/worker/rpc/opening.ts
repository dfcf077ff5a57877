/**
 * The page a chat opens at: around its first unread message (the screen puts the "Unread messages"
 * divider above it), or the newest page when everything is read. One indexed read finds that message.
 */
import { Dexie } from 'dexie';
import type { CinderDB } from '$lib/store/db';
import { firstUnread } from '../unread';
import { cloudHandlers } from './cloud';
import type { CoreContext, Handlers } from './context';
import { searchHandlers } from './search';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'flush' | 'sendFrame' | 'sync' | 'secretModule'>;

/**
 * A secret chat's oldest unread message, in the pages' order (time, then id): the first entry of the
 * `[chatId+unread+at]` index, whose ties IndexedDB orders by primary key (the id). One row read.
 */
async function oldestUnread(db: CinderDB, id: string): Promise<string | undefined> {
  const first = await db.secretMessages.where('[chatId+unread+at]').between([id, 1, Dexie.minKey], [id, 1, Dexie.maxKey]).first();
  return first?.id;
}

export const openingHandlers: Handlers<'messagesOpening' | 'secretMessagesOpening', Ctx> = {
  messagesOpening: async (ctx, { peerId, limit }) => {
    const chat = await ctx.db.chats.get(peerId);
    // A stored count of 0 needs no look; an absent one (cleared by a writer) does.
    const first = chat && chat.unread !== 0 ? await firstUnread(ctx.db, peerId, chat.myReadSeq, ctx.me) : undefined;
    const around = first ? await searchHandlers.messagesAround(ctx, { peerId, messageId: first.id }) : null;
    if (first && around?.messages.some((m) => m.id === first.id)) return { ...around, unreadFrom: first.id };
    const latest = await cloudHandlers.messages(ctx, { peerId, limit });
    return { ...latest, hasNewer: false, unreadFrom: null };
  },

  secretMessagesOpening: async (ctx, { id, limit }) => {
    // Only an active chat's messages can be read (and counted unread in the list): a closed one opens at its end.
    const chat = await ctx.db.secretChats.get(id);
    const first = chat?.status === 'active' ? await oldestUnread(ctx.db, id) : undefined;
    const around = first ? await searchHandlers.secretMessagesAround(ctx, { id, messageId: first }) : null;
    if (first && around?.messages.some((m) => m.id === first)) return { ...around, unreadFrom: first };
    const { secretMessages } = await ctx.secretModule();
    return { ...(await secretMessages(ctx.db, ctx.vault, id, { limit })), unreadFrom: null };
  }
};
