/**
 * "Mark as unread" / "Mark as read" in a chat's row menu, as in Telegram: a chat with nothing unread can
 * be marked (an unread badge without a number, counted as 1 in the totals), and opening it takes the
 * mark off (a cloud chat's on all my devices). Saved Messages are never unread. A secret chat's unread
 * messages are never read from the list: their read receipts start the sender's self-destruct timers,
 * so only the screen showing them sends those; its "Mark as read" is offered only to take a mark off.
 */
import { core } from '$lib/worker/client';
import type { ChatView } from '$lib/worker/protocol';
import type { ChatRef } from './chat-settings';

/** What the row menu offers for the chat: 'unread' (Mark as unread), 'read' (Mark as read) or nothing. */
export function markChoice(c: Pick<ChatView, 'kind' | 'unread' | 'markedUnread'>, saved: boolean): 'unread' | 'read' | null {
  if (saved) return null;
  if (c.markedUnread) return 'read';
  if (c.unread > 0) return c.kind === 'cloud' ? 'read' : null;
  return 'unread';
}

export const markUnread = (c: ChatRef, marked: boolean) => core().call('markChatUnread', { kind: c.kind, id: c.id, marked });
export const markRead = (c: ChatRef) => core().call('markChatRead', { kind: c.kind, id: c.id });

/**
 * Takes the chat's mark off once each time it is opened and shown (the page visible): `listed` is the
 * open chat as the list has it. Once per opening: a mark my other device puts on while the chat stays
 * open here stays until it is opened again. Called while a chat page is set up.
 */
export function clearMarkWhenShown(listed: () => Pick<ChatView, 'kind' | 'id' | 'markedUnread'> | undefined): void {
  let visible = $state(typeof document === 'undefined' || document.visibilityState === 'visible');
  let handled = '';
  $effect(() => {
    const update = () => (visible = document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  });
  $effect(() => {
    const c = listed();
    if (!c || !visible) return;
    const key = `${c.kind}:${c.id}`;
    if (handled === key) return;
    handled = key;
    if (c.markedUnread) void markUnread(c, false).catch(() => {});
  });
}
