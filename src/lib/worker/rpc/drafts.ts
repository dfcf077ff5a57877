/** Chat drafts (../drafts.ts): read when a chat opens, saved as the user types. */
import { cloudDraftId, readDraft, secretDraftId, writeDraft } from '../drafts';
import { messageView } from '../cloud';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'secretModule'>;

export const draftsHandlers: Handlers<'draft' | 'saveDraft' | 'secretDraft' | 'secretSaveDraft', Ctx> = {
  draft: async (ctx, { peerId }) => {
    const d = await readDraft(ctx.db, ctx.vault, cloudDraftId(peerId));
    if (!d) return null;
    // Only a message of this chat that is still stored: one deleted meanwhile is no reply target.
    const row = d.replyTo ? await ctx.db.messages.get(d.replyTo) : undefined;
    const chat = row?.peerId === peerId ? await ctx.db.chats.get(peerId) : undefined;
    return { text: d.text, replyTo: row && chat ? await messageView(ctx.vault, row, ctx.me, chat.peerReadSeq) : null };
  },

  saveDraft: async (ctx, { peerId, text, replyTo }) => {
    const { db } = ctx;
    // Only for a chat stored here: a screen left open through a wipe (revoked) must not store into the new database.
    const stored = async () => !!(await db.chats.get(peerId));
    if (await writeDraft(db, ctx.vault, cloudDraftId(peerId), { text, replyTo: replyTo ?? null }, 'chats', stored)) ctx.emit({ type: 'chats' });
    return null;
  },

  secretDraft: async (ctx, { id }) => {
    const d = await readDraft(ctx.db, ctx.vault, secretDraftId(id));
    if (!d) return null;
    const [reply] = d.replyTo ? await (await ctx.secretModule()).secretRows(ctx.db, ctx.vault, id, [d.replyTo]) : [];
    return { text: d.text, replyTo: reply ?? null };
  },

  secretSaveDraft: async (ctx, { id, text, replyTo }) => {
    const { db } = ctx;
    // Checked in the draft's own transaction: a chat ended (deleted, cancelled) keeps no draft.
    const active = async () => (await db.secretChats.get(id))?.status === 'active';
    if (await writeDraft(db, ctx.vault, secretDraftId(id), { text, replyTo: replyTo ?? null }, 'secretChats', active)) ctx.emit({ type: 'chats' });
    return null;
  }
};
