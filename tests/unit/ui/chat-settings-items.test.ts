// A chat's settings items (ChatSettingsItems.svelte, in its row menu and its "…"): Pin/Unpin with `pin`,
// Mute…/Unmute and Archive/Unarchive; my Saved Messages offer no Mute… nor Unmute (nothing notifies there).
import { afterEach, describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import ChatSettingsItems from '$lib/components/ChatSettingsItems.svelte';
import { app } from '$lib/ui/app.svelte';

const items = (chat: { kind: 'cloud' | 'secret'; id: string; mutedUntil?: number }) =>
  [
    ...render(ChatSettingsItems, { props: { chat: { unread: 0, ...chat }, pin: true, now: 1_000, done: () => {}, failed: () => {} } }).body.matchAll(
      /role="menuitem"[^>]*>([^<]+)</g
    )
  ].map((m) => m[1]);

describe('ChatSettingsItems.svelte', () => {
  afterEach(() => {
    app.session = null;
  });

  it('offers Pin, Mute… (or Unmute) and Archive; Saved Messages no mute at all, a secret chat with myself does', () => {
    app.session = { user: { id: 'u-me', username: 'me', displayName: 'ME' }, device: { id: 'd1', name: 'Phone' } };
    expect(items({ kind: 'cloud', id: 'u-bob' })).toEqual(['Pin', 'Mute…', 'Archive']);
    expect(items({ kind: 'cloud', id: 'u-bob', mutedUntil: 2_000 })).toEqual(['Pin', 'Unmute', 'Archive']);
    expect(items({ kind: 'cloud', id: 'u-me' })).toEqual(['Pin', 'Archive']);
    expect(items({ kind: 'cloud', id: 'u-me', mutedUntil: 2_000 })).toEqual(['Pin', 'Archive']);
    expect(items({ kind: 'secret', id: 'u-me' })).toEqual(['Pin', 'Mute…', 'Archive']);
  });
});
