// A chat's pin and mute on this device: a cloud chat's from the update log ('settings', my own, from any
// of my devices) onto its chat row and the list, also kept by a version that knew no such kind and
// applied once known; a secret chat's on its row. And a wake's notices leave the muted chats out.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { MUTED_FOREVER } from '$lib/api/limits';
import type { Update } from '$lib/api/wire';
import { chatViews, storeChatPeer } from '$lib/worker/cloud';
import { applyUpdates, checkPage } from '$lib/worker/cloud-sync';
import { changeSecretSettings, checkPinRoom, currentSettings, isMuted, keptSettingsKey, storeCloudSettings, unmutedNotices } from '$lib/worker/chat-settings';
import type { Notice } from '$lib/worker/background';
import { unlockedStore } from '../support/store';
import { bob, ME, msg, nextCursor } from '../support/cloud-updates';
import { chatRow, secretChatRow } from '../support/chat-rows';

let dbs = 0;
const settings = (peerId: string, pinnedAt: number | null, mutedUntil: number | null): Update => ({
  kind: 'settings',
  cursor: nextCursor(),
  peerId,
  pinnedAt,
  mutedUntil
});

describe("a cloud chat's settings from the update log", () => {
  it('pins and mutes the chat row and the list shows it; null takes each away; a chat not stored is left alone', async () => {
    const { db, vault } = await unlockedStore(`chat-settings-${dbs++}`);
    await applyUpdates(db, vault, ME, [msg(1, 'bob')]);
    const applied = await applyUpdates(db, vault, ME, [settings('bob', 1_000, MUTED_FOREVER), settings('nobody', 5, 5)]);
    expect(applied.list).toBe(true);
    expect(await db.chats.get('bob')).toMatchObject({ pinnedAt: 1_000, mutedUntil: MUTED_FOREVER, unread: 1 });
    expect(await db.chats.get('nobody')).toBeUndefined();
    expect((await chatViews(db, vault, ME))[0]).toMatchObject({ id: 'bob', pinnedAt: 1_000, mutedUntil: MUTED_FOREVER, unread: 1 });

    await applyUpdates(db, vault, ME, [settings('bob', null, 2_000), settings('bob', null, null)]);
    const row = (await db.chats.get('bob'))!;
    // Absent, never null, when off.
    expect(Object.keys(row)).not.toContain('pinnedAt');
    expect(Object.keys(row)).not.toContain('mutedUntil');
    const view = (await chatViews(db, vault, ME))[0];
    expect([view.pinnedAt, view.mutedUntil]).toEqual([undefined, undefined]);
  });

  it('keeps the settings of a chat not stored here and gives them to its row once its first message comes', async () => {
    const { db, vault } = await unlockedStore(`chat-settings-${dbs++}`);
    const carol = { id: 'carol', username: 'carol', displayName: 'Carol' };
    const fromCarol = (i: number): Update => {
      const m = msg(i, 'carol');
      return m.kind === 'message' ? { ...m, message: { ...m.message, peerId: 'carol' }, peer: carol } : m;
    };
    await applyUpdates(db, vault, ME, [settings('carol', 1_000, null), settings('carol', 1_000, MUTED_FOREVER)]);
    expect(await db.chats.get('carol')).toBeUndefined();
    await applyUpdates(db, vault, ME, [fromCarol(1)]);
    expect(await db.chats.get('carol')).toMatchObject({ pinnedAt: 1_000, mutedUntil: MUTED_FOREVER, unread: 1 });
    expect((await chatViews(db, vault, ME))[0]).toMatchObject({ id: 'carol', pinnedAt: 1_000, mutedUntil: MUTED_FOREVER });
    // Taken once: a later unpin sticks.
    expect(await db.meta.get(keptSettingsKey('carol'))).toBeUndefined();
    await applyUpdates(db, vault, ME, [settings('carol', null, null), fromCarol(2)]);
    expect(Object.keys((await db.chats.get('carol'))!)).not.toContain('pinnedAt');

    // Settings and the first message in one page; then the relay's answer for a chat this device has not stored.
    const dave = { ...carol, id: 'dave', username: 'dave' };
    const m = fromCarol(3);
    const first = m.kind === 'message' ? { ...m, message: { ...m.message, peerId: 'dave' }, peer: dave } : m;
    await applyUpdates(db, vault, ME, [settings('dave', null, 5_000), first]);
    expect(await db.chats.get('dave')).toMatchObject({ mutedUntil: 5_000 });
    await storeCloudSettings(db, 'erin', { pinnedAt: 7, mutedUntil: null });
    expect(await db.chats.get('erin')).toBeUndefined();
    expect(await storeChatPeer(db, { ...carol, id: 'erin', username: 'erin' })).toMatchObject({ peerId: 'erin', pinnedAt: 7 });
    expect(await db.meta.get(keptSettingsKey('erin'))).toBeUndefined();
    // A kept value that is not settings (storage is not trusted) is ignored.
    await db.meta.put({ key: keptSettingsKey('frank'), value: { pinnedAt: 'soon' } });
    expect(Object.keys(await storeChatPeer(db, { ...carol, id: 'frank', username: 'frank' }))).not.toContain('pinnedAt');
  });

  it('is a kind this version knows (not kept for later), and a malformed one is rejected', () => {
    const ok = settings('bob', 1, null);
    const page = checkPage({ updates: [ok, { ...settings('bob', 1, null), mutedUntil: -3 }], cursor: nextCursor(), more: false }, 0);
    expect(page.updates).toEqual([ok]);
    expect(page.later).toEqual([]);
    expect(page.rejected.map((r) => r.reason)).toEqual([expect.stringContaining('malformed')]);
  });
});

describe("a secret chat's settings and the pin limit", () => {
  it('are stored on its row; a sixth pin is refused, re-pinning a pinned chat is not', async () => {
    const { db } = await unlockedStore(`chat-settings-${dbs++}`);
    await db.secretChats.bulkPut([1, 2, 3].map((i) => secretChatRow(`s${i}`, {}, bob)));
    await db.chats.bulkPut([1, 2, 3].map((i) => chatRow(`p${i}`, { pinnedAt: i }, bob)));
    await changeSecretSettings(db, 's1', () => ({ pinnedAt: 7, mutedUntil: 99 }));
    expect(await db.secretChats.get('s1')).toMatchObject({ pinnedAt: 7, mutedUntil: 99 });
    await changeSecretSettings(db, 's2', () => ({ pinnedAt: 8, mutedUntil: null }));
    await expect(checkPinRoom(db, 'secret', 's3')).rejects.toMatchObject({ code: 'too_many_pinned', message: 'Unpin a chat first: up to 5' });
    await expect(checkPinRoom(db, 'secret', 's2')).resolves.toBeUndefined();
    await expect(checkPinRoom(db, 'cloud', 'p1')).resolves.toBeUndefined();
    await changeSecretSettings(db, 's1', () => ({ pinnedAt: null, mutedUntil: null }));
    expect(Object.keys((await db.secretChats.get('s1'))!)).not.toContain('pinnedAt');
    await expect(checkPinRoom(db, 'secret', 's3')).resolves.toBeUndefined();
    await expect(changeSecretSettings(db, 'gone', () => ({ pinnedAt: 1, mutedUntil: null }))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('pinned chats per list (the main one, the archive)', () => {
  it('the archive has room of its own; a pinned chat unarchived into a full main list comes back unpinned', async () => {
    const { db } = await unlockedStore(`chat-settings-${dbs++}`);
    await db.secretChats.bulkPut([secretChatRow('s1', {}, bob), secretChatRow('s2', {}, bob)]);
    // Five pinned in the main list (cloud chats, here).
    await db.chats.bulkPut([1, 2, 3, 4, 5].map((i) => chatRow(`p${i}`, { pinnedAt: i }, bob)));
    await expect(checkPinRoom(db, 'secret', 's1')).rejects.toMatchObject({ code: 'too_many_pinned' });
    for (const id of ['s1', 's2']) {
      await changeSecretSettings(db, id, (row) => ({ ...currentSettings(row), archived: true }));
      await expect(checkPinRoom(db, 'secret', id)).resolves.toBeUndefined();
      await changeSecretSettings(db, id, (row) => ({ ...currentSettings(row), pinnedAt: 7 }));
    }
    expect(await db.secretChats.get('s1')).toMatchObject({ pinnedAt: 7, archived: true });
    // Back to the full main list: unpinned.
    await changeSecretSettings(db, 's1', (row) => ({ ...currentSettings(row), archived: false }));
    const back = (await db.secretChats.get('s1'))!;
    expect([back.pinnedAt, back.archived]).toEqual([undefined, undefined]);
    // With room there, the pin comes along.
    await db.chats.update('p5', { pinnedAt: undefined });
    await changeSecretSettings(db, 's2', (row) => ({ ...currentSettings(row), archived: false }));
    expect(await db.secretChats.get('s2')).toMatchObject({ pinnedAt: 7 });
  });
});

describe("a wake's notices", () => {
  it('leave out the chats muted now (cloud and secret), keep those whose mute ended, and those naming no chat', async () => {
    const { db } = await unlockedStore(`chat-settings-${dbs++}`);
    const now = 50_000;
    await db.chats.bulkPut([chatRow('muted', { mutedUntil: MUTED_FOREVER }), chatRow('ended', { mutedUntil: now }), chatRow('loud')]);
    await db.secretChats.bulkPut([secretChatRow('s-muted', { mutedUntil: now + 1 }), secretChatRow('s-loud')]);
    const n = (kind: 'cloud' | 'secret', id: string): Notice => ({ title: 'T', body: 'B', tag: `${kind}-${id}`, url: '/', chat: { kind, id } });
    const all = [
      n('cloud', 'muted'),
      n('cloud', 'ended'),
      n('cloud', 'loud'),
      n('secret', 's-muted'),
      n('secret', 's-loud'),
      { title: 'Cinder', body: 'New messages', tag: 'cinder-locked', url: '/' }
    ];
    expect((await unmutedNotices(db, all, now)).map((x) => x.tag)).toEqual(['cloud-ended', 'cloud-loud', 'secret-s-loud', 'cinder-locked']);
    expect([isMuted({ mutedUntil: now }, now), isMuted({ mutedUntil: now + 1 }, now), isMuted(undefined, now)]).toEqual([false, true, false]);
  });
});
