// Cloud updates of a kind this version does not know: kept (sealed, bounded) instead of rejected as
// malformed, and applied from the table once a version knows the kind; cleared with the device's data.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Update } from '$lib/api/wire';
import { destroyStore, openStore, type CinderDB } from '$lib/store/db';
import { setPasscode } from '$lib/store/passcode';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import { messageView } from '$lib/worker/cloud';
import { KEPT_MAX, KEPT_UPDATE_MAX_BYTES, keepLater } from '$lib/worker/cloud-kept';
import { applyKept, applyUpdates, checkPage, pullUpdates, type Applied } from '$lib/worker/cloud-sync';
import { unlockedStore } from '../support/store';
import { ME, msg, uuid } from '../support/cloud-updates';

let dbs = 0;
// A kind no version knows yet (a poll, say).
const later = (cursor: number, extra: object = {}) => ({ kind: 'poll', cursor, peerId: 'bob', question: 'lunch?', ...extra });
/** Message `i` (its text 'text i') at log cursor `cursor`. */
const msgAt = (i: number, cursor: number, from = 'bob'): Update => ({ ...msg(i, from), cursor });
const edit = (cursor: number, text: string, editedAt: number): Update => ({ kind: 'edit', cursor, peerId: 'bob', id: uuid(1), text, editedAt });

/** `GET /api/sync` serving `log` (raw JSON) after the asked cursor, in one page. */
function relay(log: { cursor: number }[]) {
  vi.stubGlobal('fetch', async (path: string) => {
    const after = Number(new URL(path, 'http://relay').searchParams.get('after'));
    const updates = log.filter((u) => u.cursor > after);
    return new Response(JSON.stringify({ updates, cursor: updates.at(-1)?.cursor ?? after, more: false }), { status: 200 });
  });
}

async function store() {
  const { db, vault } = await unlockedStore(`cloud-kept-${dbs++}`);
  const text = async (i: number) => (await messageView(vault, (await db.messages.get(uuid(i)))!, ME, 0)).text;
  return { db, vault, text };
}

/** A row as an older version kept it, for a kind this one knows (as if the older one did not). */
async function keptAsOlder(db: CinderDB, vault: Vault, u: { cursor: number; kind: string }) {
  const raw = JSON.stringify(u);
  await db.keptUpdates.put({ cursor: u.cursor, kind: u.kind, size: raw.length, box: await vault.seal(places.keptUpdate(u.cursor), raw) });
}

describe('cloud updates of an unknown kind', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('checkPage sets a well-formed unknown kind aside; a malformed known kind or a broken envelope is still rejected', () => {
    const bad = { ...msgAt(2, 2), message: 'not a message' };
    const page = checkPage(
      { updates: [{ cursor: 1, kind: 'poll' }, bad, { cursor: 3.5, kind: 'x' }, { cursor: 4 }, later(5), later(5), msgAt(6, 6)], cursor: 6, more: false },
      0
    );
    expect(page.later.map((u) => [u.cursor, u.kind])).toEqual([
      [1, 'poll'],
      [5, 'poll']
    ]);
    expect(JSON.parse(page.later[1].raw)).toEqual(later(5));
    expect(page.rejected.map((r) => r.cursor)).toEqual([2, 3.5, 4, 5]);
    expect(page.rejected.at(-1)?.reason).toBe('out of order');
    expect(page.updates.map((u) => u.cursor)).toEqual([6]);
  });

  it('a pull keeps one, sealed, and moves on; it stays while its kind is unknown', async () => {
    const { db, vault, text } = await store();
    relay([msgAt(1, 1), later(2), msgAt(3, 3)]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const notices: Applied[] = [];
    await pullUpdates(db, vault, ME, (a) => notices.push(a));
    expect(notices.flatMap((n) => n.rejected)).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
    expect(await text(3)).toBe('text 3');
    expect((await db.meta.get('cursor'))?.value).toBe(3);
    const [row] = await db.keptUpdates.toArray();
    expect(row).toMatchObject({ cursor: 2, kind: 'poll' });
    expect(new TextDecoder().decode(row.box)).not.toContain('🔥');
    expect(JSON.parse(await vault.open<string>(places.keptUpdate(2), row.box))).toEqual(later(2));

    // Another sync and another start: still unknown here, still kept.
    relay([]);
    await pullUpdates(db, vault, ME, () => {});
    await applyKept(db, vault, ME, () => {});
    expect(await db.keptUpdates.count()).toBe(1);
  });

  it('applies a kept update of a kind known now, in cursor order, through the same path; then drops it', async () => {
    const { db, vault, text } = await store();
    await applyUpdates(db, vault, ME, [msgAt(1, 1, ME)], 1);
    // An app from before edits kept these two (out of order in the table), and one still unknown.
    await keptAsOlder(db, vault, edit(3, 'second edit', 3_000));
    await keptAsOlder(db, vault, edit(2, 'first edit', 2_000));
    await keptAsOlder(db, vault, later(4));
    const notices: Applied[] = [];
    await applyKept(db, vault, ME, (a) => notices.push(a));
    expect(await text(1)).toBe('second edit');
    expect(notices.map((n) => n.edited)).toEqual([new Map([['bob', [uuid(1)]]])]);
    expect((await db.keptUpdates.toArray()).map((r) => r.kind)).toEqual(['poll']);
    // The cursor stays where the log is.
    expect((await db.meta.get('cursor'))?.value).toBe(1);

    // An older edit kept meanwhile changes nothing (the newest editedAt wins); a sync applies it too.
    await keptAsOlder(db, vault, edit(5, 'stale edit', 1_500));
    relay([]);
    await pullUpdates(db, vault, ME, () => {});
    expect(await text(1)).toBe('second edit');
    expect(await db.keptUpdates.count()).toBe(1);
  });

  it('a kept update that does not validate now that its kind is known is dropped, not applied', async () => {
    const { db, vault, text } = await store();
    await applyUpdates(db, vault, ME, [msgAt(1, 1, ME)], 1);
    await keptAsOlder(db, vault, { ...edit(2, 'x', 2_000), text: 42 } as never);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await applyKept(db, vault, ME, () => {});
    expect(await text(1)).toBe('text 1');
    expect(await db.keptUpdates.count()).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/kept update 2 rejected/));
  });

  it('is bounded: one too large, or past the count, is rejected as before (and the sync moves on)', async () => {
    const { db, vault } = await store();
    const big = { cursor: 1, kind: 'poll', blob: 'x'.repeat(KEPT_UPDATE_MAX_BYTES) };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const notices: Applied[] = [];
    relay([big, later(2)]);
    await pullUpdates(db, vault, ME, (a) => notices.push(a));
    expect(notices.flatMap((n) => n.rejected)).toEqual([{ cursor: 1, reason: "unknown kind 'poll', not kept (no room)" }]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect((await db.keptUpdates.toArray()).map((r) => r.cursor)).toEqual([2]);
    expect((await db.meta.get('cursor'))?.value).toBe(2);

    // Full: the rows kept stay (one kept again keeps its place), new ones are refused.
    const many = Array.from({ length: KEPT_MAX }, (_, i) => ({ cursor: 10 + i, kind: 'poll', raw: JSON.stringify(later(10 + i)) }));
    const refused = await keepLater(db, vault, many);
    expect(refused.map((u) => u.cursor)).toEqual([10 + KEPT_MAX - 1]);
    expect(await db.keptUpdates.count()).toBe(KEPT_MAX);
    expect(await keepLater(db, vault, [{ cursor: 2, kind: 'poll', raw: JSON.stringify(later(2)) }])).toEqual([]);
  });

  it('is re-sealed with the other sealed rows when a passcode is set', async () => {
    const { db, vault } = await store();
    await keepLater(db, vault, [{ cursor: 1, kind: 'poll', raw: JSON.stringify(later(1)) }]);
    const locked = await setPasscode(db, vault, '2468');
    const [row] = await db.keptUpdates.toArray();
    expect(JSON.parse(await locked.open<string>(places.keptUpdate(1), row.box))).toEqual(later(1));
  });

  it('goes with the rest of the device data on logout', async () => {
    const name = `cloud-kept-wipe-${dbs++}`;
    const { db, vault } = await unlockedStore(name);
    await keepLater(db, vault, [{ cursor: 1, kind: 'poll', raw: JSON.stringify(later(1)) }]);
    expect(await db.keptUpdates.count()).toBe(1);
    await destroyStore(db);
    const again = await openStore(name);
    expect(await again.db.keptUpdates.count()).toBe(0);
    again.db.close();
  });
});
