/**
 * "Mark as unread" and "Mark as read" of a chat, as in Telegram. The mark is one of the chat's own
 * settings (./chat-settings.ts): a cloud chat's goes through the settings action queue (offline too,
 * merged with the chat's other queued settings) and reaches my other devices, never the peer; a secret
 * chat's stays on its row on this device. Opening the chat takes it off.
 *
 * "Mark as read" of a cloud chat also moves my read marker to its newest message, so the peer sees it
 * read (the relay starts no file's timer for that: a timed file's starts when it is opened). A secret
 * chat's read receipts start the sender's self-destruct timers, so they only ever come from the screen
 * showing the messages: here only the mark is taken off.
 */
import { changeSecretSettings, currentSettings } from './chat-settings';
import { newestStoredSeq } from './cloud-clear';
import { takeAction, type ActionDeps } from './cloud-actions-local';
import { CoreError } from './rpc/context';
import { isSelfChat } from './saved';
import { advanceRead } from './unread';

type Kind = 'cloud' | 'secret';

/** Whether the chat's row carries the mark now. */
async function isMarked(ctx: ActionDeps, kind: Kind, id: string): Promise<boolean> {
  const row = kind === 'cloud' ? await ctx.db.chats.get(id) : await ctx.db.secretChats.get(id);
  return row?.markedUnread === true;
}

/** Puts the mark on (never on Saved Messages: it is never unread) or takes it off; nothing when it is already so. */
export async function markUnread(ctx: ActionDeps, kind: Kind, id: string, marked: boolean): Promise<void> {
  if (marked && kind === 'cloud' && isSelfChat(id, ctx.me)) throw new CoreError('bad_request', 'Saved Messages cannot be marked as unread');
  if ((await isMarked(ctx, kind, id)) === marked) return;
  if (kind === 'cloud') await takeAction(ctx, id, { kind: 'settings', req: { markedUnread: marked } });
  else await changeSecretSettings(ctx.db, id, (row) => ({ ...currentSettings(row), markedUnread: marked }));
  ctx.emit({ type: 'chats' });
}

/** Takes the mark off; a cloud chat's unread messages are read up to its newest (its receipt goes with the outbox). */
export async function markRead(ctx: ActionDeps, kind: Kind, id: string): Promise<void> {
  await markUnread(ctx, kind, id, false);
  if (kind !== 'cloud') return;
  const seq = await newestStoredSeq(ctx.db, id);
  if (seq > 0 && (await advanceRead(ctx.db, id, seq, ctx.me))) {
    ctx.emit({ type: 'chats' });
    void ctx.flush();
  }
}
