import { describe, expect, it } from 'vitest';
import { chatPath, isMuted, newIncomingSecret, nextMuteEnd, orderChats, titleWithCount, unreadElsewhere } from '$lib/ui/unread.svelte';
import type { ChatView } from '$lib/worker/protocol';

const peer = (name: string) => ({ id: `u-${name}`, username: name, displayName: name[0]!.toUpperCase() + name.slice(1) });
const cloud = (name: string, unread: number): ChatView => ({ kind: 'cloud', id: `u-${name}`, peer: peer(name), preview: 'hi', previewMine: false, lastAt: 1, unread });
const secret = (id: string, name: string, over: Partial<ChatView> = {}): ChatView => ({
  kind: 'secret',
  id,
  status: 'active',
  peer: peer(name),
  preview: '',
  previewMine: false,
  lastAt: 1,
  unread: 0,
  ...over
});

describe('unread elsewhere', () => {
  it('counts every chat but the open one, secret chats included (a count, never their text)', () => {
    const chats = [cloud('bob', 2), cloud('carol', 3), secret('s1', 'dave', { unread: 4 })];
    expect(unreadElsewhere(chats, '/')).toBe(9);
    expect(unreadElsewhere(chats, '/chat/u-bob')).toBe(7);
    expect(unreadElsewhere(chats, '/secret/s1')).toBe(5);
    // A secret chat's route is its own id, not the peer's: the cloud chat with Dave still counts.
    expect(unreadElsewhere([...chats, cloud('dave', 1)], '/secret/s1')).toBe(6);
    expect(chatPath(cloud('bob', 0))).toBe('/chat/u-bob');
  });

  it('puts the count in front of the page’s title, replacing an earlier count, and none at zero', () => {
    expect(titleWithCount('Chats · Cinder', 3)).toBe('(3) Chats · Cinder');
    expect(titleWithCount('(3) Bob · Cinder', 5)).toBe('(5) Bob · Cinder');
    expect(titleWithCount('(5) Bob · Cinder', 0)).toBe('Bob · Cinder');
    expect(titleWithCount('Bob · Cinder', 1234)).toBe('(999+) Bob · Cinder');
    expect(titleWithCount('(999+) Bob · Cinder', 2)).toBe('(2) Bob · Cinder');
  });
});

describe('incoming secret chats', () => {
  it('finds only secret chats the peer started that were not in the list before', () => {
    const before = new Set(['s1']);
    const next = [secret('s1', 'bob', { incoming: true }), secret('s2', 'carol', { incoming: true }), secret('s3', 'dave', { status: 'waiting' }), cloud('erin', 1)];
    expect(newIncomingSecret(before, next).map((c) => c.id)).toEqual(['s2']);
    // Started by this device (not incoming) or already cancelled: no notice.
    expect(newIncomingSecret(new Set(), [secret('s4', 'x', { incoming: false }), secret('s5', 'y', { incoming: true, status: 'cancelled' })])).toEqual([]);
    // The first list seen has nothing "new" in it.
    expect(newIncomingSecret(null, next)).toEqual([]);
  });
});

describe('pinned and muted chats', () => {
  const now = 1_000_000;
  it('lists pinned chats first, the latest pinned on top, then the rest in their order', () => {
    const list = [cloud('a', 0), { ...cloud('b', 0), pinnedAt: 5 }, secret('s1', 'c'), { ...secret('s2', 'd'), pinnedAt: 9 }, cloud('e', 0)];
    expect(orderChats(list).map((c) => c.id)).toEqual(['s2', 'u-b', 'u-a', 's1', 'u-e']);
    expect(orderChats([])).toEqual([]);
  });

  it('leaves muted chats out of the totals until their mute ends, and names when the soonest ends', () => {
    const chats = [
      cloud('bob', 2),
      { ...cloud('carol', 3), mutedUntil: now + 60_000 },
      secret('s1', 'dave', { unread: 4, mutedUntil: Number.MAX_SAFE_INTEGER }),
      { ...cloud('erin', 1), mutedUntil: now }
    ];
    expect(unreadElsewhere(chats, '/', now)).toBe(3);
    expect(unreadElsewhere(chats, '/chat/u-bob', now)).toBe(1);
    // Carol's hour is over: counted again.
    expect(unreadElsewhere(chats, '/', now + 60_000)).toBe(6);
    expect([isMuted(chats[1], now), isMuted(chats[3], now), isMuted(chats[0], now)]).toEqual([true, false, false]);
    expect(nextMuteEnd(chats, now)).toBe(now + 60_000);
    expect(nextMuteEnd(chats, now + 60_000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(nextMuteEnd([cloud('bob', 1)], now)).toBeNull();
  });
});
