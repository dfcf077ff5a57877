/** Secret chats: starting one, reading, sending, receipts, deleting, the self-destruct timer. */
import { sendTicket, sentDraftDeleted } from '../draft-order';
import { draftEvent, secretDraftId } from '../drafts';
import { emptyDiagnostics, type Diagnostics } from '../secret/errors';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'secret' | 'secretModule' | 'scheduleRetry'>;

type SecretMethod =
  | 'startSecretChat'
  | 'secretChat'
  | 'secretMessages'
  | 'secretRows'
  | 'secretSend'
  | 'secretRead'
  | 'secretTyping'
  | 'secretDelete'
  | 'secretEdit'
  | 'secretReact'
  | 'secretDeleteForMe'
  | 'secretClear'
  | 'secretDeleteChat'
  | 'secretSetTimer'
  | 'secretScreenshot'
  | 'diagnostics';

export const secretHandlers: Handlers<SecretMethod, Ctx> = {
  startSecretChat: async (ctx, { peerId }) => {
    if (peerId === ctx.me) throw new CoreError('bad_request', 'A secret chat needs another person');
    return { id: await (await ctx.secret()).start(peerId) };
  },

  secretChat: async (ctx, { id }) => {
    const view = await (await ctx.secretModule()).secretChatView(ctx.db, ctx.vault, id);
    // A waiting chat on screen: find out (in the background) whether any device can still take it;
    // if not it fails, and the 'secret' event makes the page read it again.
    if (view.status === 'waiting' && view.role === 'initiator') void ctx.secret().then((engine) => engine.checkWaiting(id).catch(() => undefined));
    return view;
  },

  secretMessages: async (ctx, { id, before, after, from, limit }) =>
    (await ctx.secretModule()).secretMessages(ctx.db, ctx.vault, id, { before, after, from, limit: limit ?? 50 }),

  secretRows: async (ctx, { id, ids }) => (await ctx.secretModule()).secretRows(ctx.db, ctx.vault, id, ids),

  secretSend: async (ctx, { id, text, replyTo, quote }) => {
    // Taken as the call arrives: saves of the draft the page issued before it are older (../draft-order.ts).
    const draftTicket = sendTicket(secretDraftId(id));
    let sent: string;
    try {
      sent = await (await ctx.secret()).sendText(id, text, replyTo ?? null, null, replyTo ? quote : undefined, draftTicket);
    } finally {
      // Open screens of this chat (other tabs too) empty their composer.
      if (sentDraftDeleted(draftTicket)) for (const e of draftEvent(secretDraftId(id))) ctx.emit(e);
    }
    // Retried until the queue is empty, in case this flush fails (see Core.scheduleRetry).
    void ctx.scheduleRetry();
    return { id: sent };
  },

  secretRead: async (ctx, { id, ids }) => {
    await (await ctx.secret()).markRead(id, ids);
    return null;
  },

  secretTyping: async (ctx, { id }) => {
    await (await ctx.secret()).typing(id);
    return null;
  },

  secretDelete: async (ctx, { id, ids }) => {
    await (await ctx.secret()).deleteMessages(id, ids);
    return null;
  },

  secretEdit: async (ctx, { id, msg, text }) => {
    await (await ctx.secret()).editMessage(id, msg, text);
    void ctx.scheduleRetry();
    return null;
  },

  secretReact: async (ctx, { id, msg, emoji }) => {
    await (await ctx.secret()).reactMessage(id, msg, emoji);
    void ctx.scheduleRetry();
    return null;
  },

  secretDeleteForMe: async (ctx, { id, ids }) => {
    await (await ctx.secret()).deleteForMe(id, ids);
    return null;
  },

  secretClear: async (ctx, { id }) => {
    await (await ctx.secret()).clearHistory(id);
    return null;
  },

  secretDeleteChat: async (ctx, { id }) => {
    await (await ctx.secret()).deleteChat(id);
    return null;
  },

  secretSetTimer: async (ctx, { id, seconds }) => {
    await (await ctx.secret()).setTimer(id, seconds);
    return null;
  },

  secretScreenshot: async (ctx, { id }) => {
    await (await ctx.secret()).screenshot(id);
    return null;
  },

  /** Envelopes this device rejected (by error code), for the settings page. */
  diagnostics: async (ctx) => ((await ctx.db.meta.get('diagnostics'))?.value as Diagnostics | undefined) ?? emptyDiagnostics()
};
