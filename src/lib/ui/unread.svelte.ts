/**
 * Unread messages in chats other than the open one: the count on the back control and in the
 * document title ("(3) Cinder"), and secret chats started with this user since the app opened.
 * Counts and names only; no message text (nothing from a secret chat) ever leaves the chat list.
 */
import type { ChatView } from '$lib/worker/protocol';

/** The route of a chat in the list (cloud: the peer's id, secret: the chat's own id). */
export const chatPath = (c: Pick<ChatView, 'kind' | 'id'>): string => (c.kind === 'secret' ? `/secret/${c.id}` : `/chat/${c.id}`);

/** Unread messages in every chat but the one at `path` (the open chat counts as seen). */
export function unreadElsewhere(chats: readonly Pick<ChatView, 'kind' | 'id' | 'unread'>[] | null, path: string): number {
  let n = 0;
  for (const c of chats ?? []) if (chatPath(c) !== path) n += Math.max(0, c.unread);
  return n;
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
 * title; UnreadWatch keeps it), null until the first read; and the new-secret-chat notices.
 */
export const unread = $state<{ chats: ChatView[] | null; notices: ChatView[] }>({ chats: null, notices: [] });
