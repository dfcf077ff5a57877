/** Finding people and the chat list (cloud and secret chats together). */
import { z } from '$lib/api/zod';
import { PublicUser } from '$lib/api/wire';
import { chatViews, refreshPeer, storeChatPeer } from '../cloud';
import { withDrafts } from '../drafts';
import { request } from '../net';
import { isSelfChat, savedChat } from '../saved';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'session' | 'secretModule' | 'emit'>;

export const chatsHandlers: Handlers<'searchUsers' | 'userByName' | 'listChats' | 'chat', Ctx> = {
  searchUsers: async (_ctx, { q }) => {
    if (!q.trim()) return [];
    const res = await request('GET', `/api/users?q=${encodeURIComponent(q.trim().toLowerCase())}`, undefined, z.object({ users: z.array(PublicUser) }));
    return res.users;
  },

  userByName: async (ctx, { username }) => {
    const res = await request('GET', `/api/users/by-name/${encodeURIComponent(username.toLowerCase())}`, undefined, z.object({ user: PublicUser }));
    await storeChatPeer(ctx.db, res.user);
    return res.user;
  },

  listChats: async (ctx) => {
    const vault = ctx.vault;
    // Secret chats need the crypto code; a device without any doesn't wait for it.
    const secret = (await ctx.db.secretChats.count()) ? await (await ctx.secretModule()).secretChatList(ctx.db, vault) : [];
    const all = await withDrafts(ctx.db, vault, [...(await chatViews(ctx.db, vault, ctx.me)), ...secret]);
    return all.sort((a, b) => b.lastAt - a.lastAt);
  },

  chat: async (ctx, { peerId, refresh }) => {
    // Saved Messages open from my own profile, offline too; the relay adds nothing to learn about me.
    if (ctx.session && isSelfChat(peerId, ctx.me)) {
      const saved = await savedChat(ctx.db, ctx.session);
      return { peer: saved.peer, peerReadSeq: 0 };
    }
    let chat = await ctx.db.chats.get(peerId);
    if (!chat) {
      const { user } = await request('GET', `/api/users/${encodeURIComponent(peerId)}`, undefined, z.object({ user: PublicUser }));
      chat = await storeChatPeer(ctx.db, user);
    } else if (refresh) {
      // The stored profile answers at once; a rename or a deleted account shows once the relay says so.
      void refreshPeer(ctx.db, peerId)
        .then((changed) => {
          if (!changed) return;
          ctx.emit({ type: 'peer', peerId });
          ctx.emit({ type: 'chats' });
        })
        .catch(() => undefined);
    }
    return { peer: chat.peer, peerReadSeq: chat.peerReadSeq };
  }
};
