// Background Sync fetches messages too (its wake pulls before it flushes the queues), but its notices
// were dropped: a message that came in that way was never notified. Now they are shown as a push shows
// them, while no window is focused; a sync with nothing to read shows nothing (no push requires it).
import { describe, expect, it, vi } from 'vitest';
import type { CinderDB } from '$lib/store/db';
import type { Notice } from '$lib/worker/background';
import { onPush, onSync, type SwScope } from '$lib/worker/sw-wake';

const wake = vi.hoisted(() => ({ notices: [] as Notice[], kinds: [] as string[] }));
vi.mock('$lib/worker/background', () => ({
  purgeAndShare: async () => undefined,
  backgroundWake: async (kind: string) => {
    wake.kinds.push(kind);
    return wake.notices;
  }
}));

const secret: Notice = { title: 'Cinder', body: 'New secret message', tag: 'secret-c1', url: '/secret/c1' };

function scope(focused: boolean) {
  // One queued send before the wake, none after it.
  let waiting = 1;
  const shown: { title: string; body?: string; tag?: string }[] = [];
  const sw: SwScope = {
    db: () => ({ outbox: { count: async () => (waiting-- > 0 ? 1 : 0) }, sendQueue: { count: async () => 0 } }) as unknown as CinderDB,
    windows: async () => (focused ? [{ focused: true, postMessage: () => undefined }] : []),
    notifications: {
      showNotification: async (title: string, o?: NotificationOptions) => void shown.push({ title, body: o?.body, tag: o?.tag }),
      getNotifications: async () => []
    },
    extend: () => undefined
  };
  return { sw, shown };
}

describe('a Background Sync wake', () => {
  it('shows the notices of what it fetched while no window is focused', async () => {
    wake.notices = [secret];
    const { sw, shown } = scope(false);
    await onSync(sw);
    expect(wake.kinds.at(-1)).toBe('sync');
    expect(shown).toEqual([{ title: 'Cinder', body: 'New secret message', tag: 'secret-c1' }]);
  });

  it('shows none while a window is focused, and no quiet notice when nothing came', async () => {
    wake.notices = [secret];
    const focused = scope(true);
    await onSync(focused.sw);
    expect(focused.shown).toEqual([]);
    wake.notices = [];
    const empty = scope(false);
    await onSync(empty.sw);
    expect(empty.shown).toEqual([]);
  });

  it('a push still always shows a notification', async () => {
    wake.notices = [];
    const { sw, shown } = scope(false);
    await onPush(sw, '{"t":"wake"}');
    expect(shown.map((n) => n.tag)).toEqual(['cinder-maintenance']);
  });
});
