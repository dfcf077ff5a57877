// A chat marked as unread by hand (ui/unread-mark.svelte.ts, ui/unread.svelte.ts, ui/archive.svelte.ts):
// it counts as 1 in the totals (the title, the back control, the "Archived chats" row) unless muted or
// open, never on top of its own unread messages; and what its row menu offers.
import { describe, expect, it } from 'vitest';
import { archiveSummary } from '$lib/ui/archive.svelte';
import { unreadCount, unreadElsewhere } from '$lib/ui/unread.svelte';
import { markChoice } from '$lib/ui/unread-mark.svelte';
import { cloudChat as chat } from '../support/chat-views';

describe('a chat marked as unread', () => {
  const now = 1_000;

  it('counts as 1 in the totals unless muted or open; its own unread messages count as they are', () => {
    const marked = chat('bob', { markedUnread: true });
    expect(unreadCount(marked)).toBe(1);
    expect(unreadCount({ ...marked, unread: 3 })).toBe(3);
    expect(unreadCount(chat('carol'))).toBe(0);
    const chats = [marked, chat('carol', { unread: 2 }), { ...chat('dan', { markedUnread: true }), kind: 'secret' as const, id: 's1' }];
    expect(unreadElsewhere(chats, '/', now)).toBe(4);
    // Open: that chat is seen.
    expect(unreadElsewhere(chats, '/chat/u-bob', now)).toBe(3);
    expect(unreadElsewhere(chats, '/secret/s1', now)).toBe(3);
    // Muted: left out, as a muted chat's count is; counted again once the mute ends.
    const muted = [{ ...marked, mutedUntil: now + 1 }, chat('carol', { unread: 2 })];
    expect(unreadElsewhere(muted, '/', now)).toBe(2);
    expect(unreadElsewhere(muted, '/', now + 1)).toBe(3);
  });

  it('counts as 1 on the "Archived chats" row, grey when muted', () => {
    expect(archiveSummary([chat('bob', { archived: true, markedUnread: true })], now)).toMatchObject({ count: 1, unread: 1, muted: false });
    expect(archiveSummary([chat('bob', { archived: true, markedUnread: true, mutedUntil: now + 5 })], now)).toMatchObject({ unread: 1, muted: true });
    expect(archiveSummary([chat('bob', { archived: true, markedUnread: true, unread: 4 }), chat('c', { markedUnread: true })], now)).toMatchObject({
      count: 1,
      unread: 4
    });
  });

  it('row menu: Mark as unread with nothing unread, Mark as read with the mark or a cloud chat’s unread messages; nothing for Saved Messages', () => {
    expect(markChoice(chat('bob'), false)).toBe('unread');
    expect(markChoice(chat('bob', { markedUnread: true }), false)).toBe('read');
    expect(markChoice(chat('bob', { unread: 2 }), false)).toBe('read');
    expect(markChoice(chat('me'), true)).toBeNull();
    expect(markChoice(chat('me', { unread: 1 }), true)).toBeNull();
    // A secret chat's unread messages are read only on its screen (their receipts start timers); a mark can still go.
    const secret = { ...chat('bob'), kind: 'secret' as const };
    expect(markChoice(secret, false)).toBe('unread');
    expect(markChoice({ ...secret, unread: 2 }, false)).toBeNull();
    expect(markChoice({ ...secret, unread: 2, markedUnread: true }, false)).toBe('read');
  });
});
