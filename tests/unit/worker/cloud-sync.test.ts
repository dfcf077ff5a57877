import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloudMessage, PublicUser, Update } from '$lib/api/wire';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { unlockedStore } from '../support/store';
import { messageView } from '$lib/worker/cloud';
import { applyUpdates, checkPage, pullUpdates, type Applied, type SyncState } from '$lib/worker/cloud-sync';
import { cloudEvents } from '$lib/worker/data-channel';

const ME = 'me';
const bob: PublicUser = { id: 'bob', username: 'bob', displayName: 'Bob' };
let dbs = 0;
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** The relay's log: message i (from Bob) at cursor i. */
function msg(i: number): Update {
  const message: CloudMessage = { id: uuid(i), peerId: 'bob', seq: i, senderId: 'bob', senderDeviceId: 'd', text: `text ${i}`, replyTo: null, createdAt: 1_000 + i };
  return { kind: 'message', cursor: i, message, peer: bob };
}

/** `GET /api/sync` over `log` in pages of `size` (raw JSON, so a page may hold a malformed row); records each `after`. */
function fakeRelay(log: unknown[], size: number, onPull?: () => void) {
  const pulls: number[] = [];
  vi.stubGlobal('fetch', async (path: string) => {
    const after = Number(new URL(path, 'http://relay').searchParams.get('after'));
    pulls.push(after);
    onPull?.();
    const rest = log.filter((u) => (u as { cursor: number }).cursor > after);
    const updates = rest.slice(0, size);
    const body = { updates, cursor: (updates.at(-1) as { cursor: number } | undefined)?.cursor ?? after, more: rest.length > size };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  return pulls;
}

const cursorOf = async (db: CinderDB) => (await db.meta.get('cursor'))?.value;
const texts = async (db: CinderDB, vault: Vault) =>
  Promise.all((await db.messages.orderBy('[peerId+seq]').toArray()).map(async (r) => (await messageView(vault, r, ME, 0)).text));

describe('cloud sync pull', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('commits each page, its rows and the cursor, in one transaction, reading the next page ahead', async () => {
    const { db, vault } = await unlockedStore(`sync-${dbs++}`);
    const log = Array.from({ length: 10 }, (_, i) => msg(i + 1));
    const transactions = vi.spyOn(db, 'transaction');
    // How many commits had begun when each page was asked for: the next page is asked for before
    // the first commit, and at most two pages beyond the one being committed.
    const begun: number[] = [];
    const pulls = fakeRelay(log, 3, () => begun.push(transactions.mock.calls.length));
    const cursorWrites: boolean[] = [];
    const put = db.meta.put.bind(db.meta);
    vi.spyOn(db.meta, 'put').mockImplementation(((row: never) => (cursorWrites.push(Dexie.currentTransaction?.mode === 'readwrite'), put(row))) as never);
    const notices: Applied[] = [];
    await pullUpdates(db, vault, ME, (a) => notices.push(a));
    expect(pulls).toEqual([0, 3, 6, 9]);
    expect(begun[1]).toBe(0);
    expect(begun[3]).toBeGreaterThanOrEqual(1);
    // Four pages, four read-write transactions, and the cursor written inside each.
    expect(transactions).toHaveBeenCalledTimes(4);
    expect(cursorWrites).toEqual([true, true, true, true]);
    expect(await cursorOf(db)).toBe(10);
    expect(await texts(db, vault)).toEqual(log.map((_, i) => `text ${i + 1}`));
    // One notice per page; the chat list at least on the first page and the last.
    expect(notices.map((a) => [...a.changed])).toEqual([['bob'], ['bob'], ['bob'], ['bob']]);
    expect(notices[0].list).toBe(true);
    expect(notices[3].list).toBe(true);
    expect(notices.flatMap((a) => a.fresh).length).toBe(10);
    db.close();
  });

  it('asks for two pages ahead of the one being committed, not more', async () => {
    const { db, vault } = await unlockedStore(`sync-${dbs++}`);
    const log = Array.from({ length: 12 }, (_, i) => msg(i + 1));
    const transactions = vi.spyOn(db, 'transaction');
    const begun: number[] = [];
    let thirdAsked = () => {};
    const asked = new Promise<void>((resolve) => (thirdAsked = resolve));
    const pulls = fakeRelay(log, 3, () => (begun.push(transactions.mock.calls.length), begun.length === 3 && thirdAsked()));
    // The first page's seals wait until the third page is asked for (or 500 ms, for a reader that waits for its commit).
    const seal = vault.seal.bind(vault);
    let first = true;
    vi.spyOn(vault, 'seal').mockImplementation((async (place: string, value: unknown) => {
      if (first) await Promise.race([asked, new Promise((r) => setTimeout(r, 500))]);
      return seal(place, value);
    }) as never);
    const pulled = pullUpdates(db, vault, ME, () => (first = false));
    await pulled;
    expect(pulls).toEqual([0, 3, 6, 9]);
    // Pages 2 and 3 were asked for before the first commit began; page 4 only once it had.
    expect(begun).toEqual([0, 0, 0, 1]);
    expect(await cursorOf(db)).toBe(12);
    expect(await texts(db, vault)).toEqual(log.map((_, i) => `text ${i + 1}`));
    db.close();
  });

  it("names the peer's read marker where it moved, for an open window's ticks (mine moving is not named)", async () => {
    const { db, vault } = await unlockedStore(`sync-${dbs++}`);
    const read = (cursor: number, readerId: string, seq: number) => ({ kind: 'read', cursor, peerId: 'bob', readerId, seq }) as Update;
    await applyUpdates(db, vault, ME, [msg(1), msg(2)], 2);
    const applied = await applyUpdates(db, vault, ME, [read(3, 'bob', 2), read(4, 'bob', 1)], 4);
    expect(applied.read).toEqual(new Map([['bob', 2]]));
    expect(cloudEvents(applied)).toContainEqual({ type: 'messages', peerId: 'bob', peerRead: 2 });
    expect((await applyUpdates(db, vault, ME, [read(5, ME, 2)], 5)).read).toBeUndefined();
    db.close();
  });

  it('applies a page again without changing anything', async () => {
    const { db, vault } = await unlockedStore(`sync-${dbs++}`);
    const page = [msg(1), msg(2), { kind: 'read', cursor: 3, peerId: 'bob', readerId: 'bob', seq: 1 } as Update, msg(4)];
    await applyUpdates(db, vault, ME, page, 4);
    const before = { texts: await texts(db, vault), chats: await db.chats.toArray(), cursor: await cursorOf(db), count: await db.messages.count() };
    // A crash after the commit but before the next fetch (or a live update seen again) replays it.
    const again = await applyUpdates(db, vault, ME, page, 4);
    expect(again.fresh).toEqual([]);
    expect({ texts: await texts(db, vault), chats: await db.chats.toArray(), cursor: await cursorOf(db), count: await db.messages.count() }).toEqual(before);
    // An older cursor never moves the stored one back.
    await applyUpdates(db, vault, ME, [msg(1)], 1);
    expect(await cursorOf(db)).toBe(4);
    db.close();
  });

  it('rejects a bad row by name and stores the rest of its page', async () => {
    const { db, vault } = await unlockedStore(`sync-${dbs++}`);
    const wrongChat = msg(3) as Extract<Update, { kind: 'message' }>;
    const log = [
      msg(1),
      { ...msg(2), message: { ...(msg(2) as Extract<Update, { kind: 'message' }>).message, text: 42 } },
      { ...wrongChat, peer: { ...bob, id: 'carol' } },
      // Not even an update's envelope (a kind must be a string): nothing a later version could read.
      { kind: 42, cursor: 4 },
      msg(5)
    ];
    fakeRelay(log, 10);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const notices: Applied[] = [];
    await pullUpdates(db, vault, ME, (a) => notices.push(a));
    expect(await texts(db, vault)).toEqual(['text 1', 'text 5']);
    expect(notices[0].rejected.map((r) => r.cursor)).toEqual([2, 3, 4]);
    expect(notices[0].rejected[0].reason).toMatch(/message\.text/);
    expect(notices[0].rejected[1].reason).toBe('message and peer disagree');
    expect(warn).toHaveBeenCalledTimes(3);
    // The page is done: the bad rows are not fetched again forever.
    expect(await cursorOf(db)).toBe(5);
    db.close();
  });

  it('refuses a page whose cursor goes back or stands still while promising more', () => {
    expect(() => checkPage({ updates: [], cursor: 3, more: false }, 5)).toThrow(/Unexpected answer/);
    expect(() => checkPage({ updates: [], cursor: 5, more: true }, 5)).toThrow(/Unexpected answer/);
    expect(() => checkPage({ updates: 'all', cursor: 9, more: false }, 5)).toThrow(/Unexpected answer/);
    expect(checkPage({ updates: [msg(6), msg(6)], cursor: 6, more: false }, 5).rejected).toEqual([{ cursor: 6, reason: 'out of order' }]);
  });

  it('does not move the cursor past a page the store failed to commit, and loses none of it', async () => {
    const { db, vault } = await unlockedStore(`sync-${dbs++}`);
    const log = Array.from({ length: 6 }, (_, i) => msg(i + 1));
    const pulls = fakeRelay(log, 3);
    const bulkPut = db.messages.bulkPut.bind(db.messages);
    let calls = 0;
    vi.spyOn(db.messages, 'bulkPut').mockImplementation(((rows: never) => (++calls === 2 ? Promise.reject(new Error('disk full')) : bulkPut(rows))) as never);
    const state: SyncState = { behind: false, epoch: 0 };
    await expect(pullUpdates(db, vault, ME, () => {}, state)).rejects.toThrow('disk full');
    // The first page is in; the second left nothing behind (rows and cursor roll back together).
    expect(await cursorOf(db)).toBe(3);
    expect(await db.messages.count()).toBe(3);
    expect(state.behind).toBe(true);
    // The next pull starts from the failed page and brings everything.
    pulls.length = 0;
    await pullUpdates(db, vault, ME, () => {}, state);
    expect(pulls[0]).toBe(3);
    expect(await texts(db, vault)).toEqual(log.map((_, i) => `text ${i + 1}`));
    expect(await cursorOf(db)).toBe(6);
    expect(state.behind).toBe(false);
    db.close();
  });
});
