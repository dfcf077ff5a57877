/**
 * Unread messages in chats other than the open one: the count on the back control and in the
 * document title ("(3) Cinder"), and secret chats started with this user since the app opened.
 * Counts and names only; no message text (nothing from a secret chat) ever leaves the chat list.
 */
import type { ChatView } from '$lib/worker/protocol';

/** The route of a chat in the list (cloud: the peer's id, secret: the chat's own id). */
export const chatPath = (c: Pick<ChatView, 'kind' | 'id'>): string => (c.kind === 'secret' ? `/secret/${c.id}` : `/chat/${c.id}`);

/** Muted at `now` (a mute with a duration ends by itself). */
export const isMuted = (c: Pick<ChatView, 'mutedUntil'>, now: number): boolean => (c.mutedUntil ?? 0) > now;

/** A chat's share of the totals: its unread messages, or 1 when it is marked as unread by hand and has none. */
export const unreadCount = (c: Pick<ChatView, 'unread' | 'markedUnread'>): number => Math.max(0, c.unread) || (c.markedUnread ? 1 : 0);

/** Unread messages in every chat but the one at `path` (the open chat counts as seen) and the chats muted at `now`; a marked chat counts as 1. */
export function unreadElsewhere(
  chats: readonly Pick<ChatView, 'kind' | 'id' | 'unread' | 'mutedUntil' | 'markedUnread'>[] | null,
  path: string,
  now = Date.now()
): number {
  let n = 0;
  for (const c of chats ?? []) if (chatPath(c) !== path && !isMuted(c, now)) n += unreadCount(c);
  return n;
}

/** The list's order: pinned chats first, the latest pinned on top, then the rest in the order given (newest first). */
export function orderChats<C extends Pick<ChatView, 'pinnedAt'>>(chats: readonly C[]): C[] {
  const pinned = chats.filter((c) => c.pinnedAt !== undefined).sort((a, b) => b.pinnedAt! - a.pinnedAt!);
  return [...pinned, ...chats.filter((c) => c.pinnedAt === undefined)];
}

/** When the soonest mute of `chats` still on at `now` ends (the counts change then), or null. */
export function nextMuteEnd(chats: readonly Pick<ChatView, 'mutedUntil'>[] | null, now: number): number | null {
  let next: number | null = null;
  for (const c of chats ?? []) if (c.mutedUntil !== undefined && c.mutedUntil > now && (next === null || c.mutedUntil < next)) next = c.mutedUntil;
  return next;
}

/** Unread messages in the chat at `path` (the open one: the count on its "newest messages" button). */
export function unreadAt(chats: readonly Pick<ChatView, 'kind' | 'id' | 'unread'>[] | null, path: string): number {
  return Math.max(0, chats?.find((c) => chatPath(c) === path)?.unread ?? 0);
}

/**
 * Secret chats in `next` that the peer started and that were not in the list seen before
 * (`known`, the ids seen so far; null before the first list: nothing is new then).
 */
export function newIncomingSecret(known: ReadonlySet<string> | null, next: readonly ChatView[]): ChatView[] {
  if (!known) return [];
  return next.filter((c) => c.kind === 'secret' && c.incoming && c.status !== 'cancelled' && !known.has(c.id));
}

/** "(3) Chats · Cinder": the page's own title with the unread count in front (none at 0). */
export function titleWithCount(title: string, count: number): string {
  const plain = title.replace(/^\(\d+\+?\) /, '');
  return count > 0 ? `(${count > 999 ? '999+' : count}) ${plain}` : plain;
}

/**
 * The chat list, read once per change for everyone who shows it (the list, the back control, the
 * title; UnreadWatch keeps it), null until the first read; the new-secret-chat notices; and `now`, the
 * time muted chats are judged at (moved on when a list is read and when the soonest mute ends).
 */
export const unread = $state<{ chats: ChatView[] | null; notices: ChatView[]; now: number }>({ chats: null, notices: [], now: Date.now() });
