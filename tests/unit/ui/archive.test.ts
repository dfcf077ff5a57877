// The chat list's archive (ui/archive.svelte.ts): which chats each list shows, and the "Archived chats"
// row's count, names and unread badge (grey only when every archived chat with unread messages is muted).
import { describe, expect, it } from 'vitest';
import { app } from '$lib/ui/app.svelte';
import { archiveSummary, inList } from '$lib/ui/archive.svelte';
import { cloudChat as chat } from '../support/chat-views';

describe('the archive', () => {
  it('splits the list: archived chats leave the main one, in the order given', () => {
    const chats = [chat('a'), chat('b', { archived: true }), chat('c'), chat('d', { archived: true })];
    expect(inList(chats, false).map((c) => c.id)).toEqual(['u-a', 'u-c']);
    expect(inList(chats, true).map((c) => c.id)).toEqual(['u-b', 'u-d']);
  });

  it("sums the archived chats' unread messages, grey when all those chats are muted at now", () => {
    const now = 1_000;
    expect(archiveSummary(null, now)).toEqual({ count: 0, unread: 0, muted: true, names: [] });
    const quiet = [chat('a', { unread: 9 }), chat('b', { archived: true, unread: 2, mutedUntil: now + 1 }), chat('c', { archived: true })];
    expect(archiveSummary(quiet, now)).toEqual({ count: 2, unread: 2, muted: true, names: ['B', 'C'] });
    // A mute that ended, or an unmuted chat with unread messages: the badge is a loud one.
    expect(archiveSummary(quiet, now + 1).muted).toBe(false);
    expect(archiveSummary([...quiet, chat('d', { archived: true, unread: 1 })], now)).toMatchObject({ count: 3, unread: 3, muted: false });
  });

  it('names my archived Saved Messages as the list does, not by my own name', () => {
    app.session = { user: { id: 'u-me', username: 'me', displayName: 'ME' }, device: { id: 'd1', name: 'Phone' } };
    try {
      expect(archiveSummary([chat('me', { archived: true }), chat('b', { archived: true })], 0).names).toEqual(['Saved Messages', 'B']);
    } finally {
      app.session = null;
    }
  });
});
