/**
 * The chat list's archive (Telegram's "Archived chats"): archived chats leave the main list for a list
 * of their own, opened from one row at the top of the main list. Counts and names only.
 */
import type { ChatView } from '$lib/worker/protocol';
import { chatName } from './saved';
import { isMuted, unreadCount } from './unread.svelte';

/**
 * Whether the chat list shows the archived chats. Kept beside the list, not in it: the list is made
 * again for each screen (a phone's chat and list are two screens), and a chat opened from the archive
 * goes back to it.
 */
export const archive = $state({ open: false });

/** The "Archived chats" row: how many chats, their unread messages (a chat marked as unread: 1), and whether all those are muted (a grey badge). */
export interface ArchiveSummary {
  count: number;
  unread: number;
  /** Every archived chat with unread messages is muted at `now` (none: true). */
  muted: boolean;
  /** The archived chats' names, in the list's order (the row's second line). */
  names: string[];
}

/** The chats the list shows: the archived ones when `archived`, else the others. */
export const inList = <C extends Pick<ChatView, 'archived'>>(chats: readonly C[], archived: boolean): C[] => chats.filter((c) => (c.archived === true) === archived);

export function archiveSummary(
  chats: readonly Pick<ChatView, 'kind' | 'archived' | 'unread' | 'markedUnread' | 'mutedUntil' | 'peer'>[] | null,
  now: number
): ArchiveSummary {
  const out: ArchiveSummary = { count: 0, unread: 0, muted: true, names: [] };
  for (const c of chats ?? []) {
    if (c.archived !== true) continue;
    out.count++;
    out.names.push(chatName(c));
    const n = unreadCount(c);
    out.unread += n;
    if (n > 0 && !isMuted(c, now)) out.muted = false;
  }
  return out;
}
