/**
 * Chat drafts (../drafts.ts): read when a chat opens, saved as the user types. A save that changed the
 * stored draft says so twice: `draft` at once (an open screen of the chat, in any tab, reads it again),
 * and `chats` for the list's "Draft: …", at most every DRAFT_LIST_MS: the page saves as soon as its
 * previous save is done, about once a keystroke, and every tab re-reads its whole chat list on `chats`.
 */
import { cloudDraftId, draftEvent, readDraft, secretDraftId, writeDraft } from '../drafts';
import { messageView } from '../cloud';
import type { WorkerEvent } from '../protocol';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'secretModule'>;

/** How often at most draft saves tell the chat list (ms): the first at once, the last at the end. */
export const DRAFT_LIST_MS = 400;

/** The chat list told of draft saves: at once, or at the end of the current DRAFT_LIST_MS when it was told already. */
class ListNotice {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private due = false;
  constructor(private readonly emit: (e: WorkerEvent) => void) {}

  changed(): void {
    if (this.timer) {
      this.due = true;
      return;
    }
    this.emit({ type: 'chats' });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.due) return;
      this.due = false;
      this.changed();
    }, DRAFT_LIST_MS);
  }
}

/** Each worker context's own (one per Core): two cores in one process (unit tests) do not share a throttle. */
const listNotices = new WeakMap<Ctx, ListNotice>();

function saved(ctx: Ctx, id: string): void {
  for (const e of draftEvent(id)) ctx.emit(e);
  let list = listNotices.get(ctx);
  if (!list) listNotices.set(ctx, (list = new ListNotice((e) => ctx.emit(e))));
  list.changed();
}

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
    const id = cloudDraftId(peerId);
    // Only for a chat stored here: a screen left open through a wipe (revoked) must not store into the new database.
    const stored = async () => !!(await db.chats.get(peerId));
    if (await writeDraft(db, ctx.vault, id, { text, replyTo: replyTo ?? null }, 'chats', stored)) saved(ctx, id);
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
    if (await writeDraft(db, ctx.vault, secretDraftId(id), { text, replyTo: replyTo ?? null }, 'secretChats', active)) saved(ctx, secretDraftId(id));
    return null;
  }
};
