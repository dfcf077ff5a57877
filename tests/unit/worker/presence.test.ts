/**
 * The worker's "online" / "last seen" (worker/presence.ts): the relay's profile asked for once, then
 * kept; `presence` frames replace it and tell the screen; a new socket (`hello`) or my own privacy
 * change forgets all (each screen told to ask again); a malformed frame never gets past the wire schema.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerFrame } from '$lib/api/wire';
import type { WorkerEvent } from '$lib/worker/protocol';

const ALICE = 'u-alice';
const BOB = 'u-bob';

describe('worker presence', () => {
  let served: Record<string, unknown>;
  let asked: string[];
  let batches: string[][];
  let presence: typeof import('$lib/worker/presence');
  let events: WorkerEvent[];
  const emit = (e: WorkerEvent) => events.push(e);

  beforeEach(async () => {
    vi.resetModules(); // a fresh worker's memory
    presence = await import('$lib/worker/presence');
    events = [];
    asked = [];
    batches = [];
    served = {};
    vi.stubGlobal('fetch', async (path: string, init?: RequestInit) => {
      asked.push(path);
      if (path === '/api/presence') {
        const { userIds } = JSON.parse(String(init?.body)) as { userIds: string[] };
        batches.push(userIds);
        const users = userIds.filter((id) => served[id]).map((userId) => ({ userId, lastSeen: served[userId] }));
        return new Response(JSON.stringify({ users }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const id = decodeURIComponent(path.split('/').pop()!);
      if (!(id in served)) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such user' } }), { status: 404 });
      const user = { id, username: id.slice(2), displayName: id, photo: null, ...(served[id] ? { lastSeen: served[id] } : {}) };
      return new Response(JSON.stringify({ user }), { status: 200, headers: { 'content-type': 'application/json' } });
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('asks the relay once, keeps the answer, and takes live frames over it', async () => {
    served[ALICE] = { at: 1_700_000_040_000 };
    expect(await presence.lastSeenOf(ALICE)).toEqual({ at: 1_700_000_040_000 });
    expect(await presence.lastSeenOf(ALICE)).toEqual({ at: 1_700_000_040_000 });
    expect(asked).toEqual([`/api/users/${ALICE}`]);

    expect(presence.ephemeralFrame({ t: 'presence', userId: ALICE, lastSeen: { online: true } }, emit)).toBe(true);
    expect(events).toEqual([{ type: 'presence', userId: ALICE }]);
    expect(await presence.lastSeenOf(ALICE)).toEqual({ online: true });
    expect(asked).toHaveLength(1);

    // Typing still goes through as before.
    expect(presence.ephemeralFrame({ t: 'typing', peerId: ALICE }, emit)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'typing', peerId: ALICE });
    // Other frames are not its business.
    expect(presence.ephemeralFrame({ t: 'blocks' }, emit)).toBe(false);
  });

  it('forgets all on a new socket and on my privacy change, telling each screen to ask again', async () => {
    served[ALICE] = { approx: 'recently' };
    served[BOB] = { online: true };
    await presence.lastSeenOf(ALICE);
    await presence.lastSeenOf(BOB);
    expect(presence.ephemeralFrame({ t: 'hello', cursor: 0, envelopes: 0 }, emit)).toBe(false); // core handles it too
    // A privacy frame may have been missed as well: an open Settings page is told to ask again.
    expect(events).toEqual([{ type: 'presence', userId: ALICE }, { type: 'presence', userId: BOB }, { type: 'privacy' }]);
    served[ALICE] = { at: 1_700_000_100_000 };
    expect(await presence.lastSeenOf(ALICE)).toEqual({ at: 1_700_000_100_000 });

    events = [];
    expect(presence.ephemeralFrame({ t: 'privacy', lastSeen: 'nobody' }, emit)).toBe(true);
    // Each screen asks again, and an open Settings page is told the setting (changed here or on another device).
    expect(events).toEqual([
      { type: 'presence', userId: ALICE },
      { type: 'privacy', lastSeen: 'nobody' }
    ]);
    served[ALICE] = { approx: 'recently' };
    expect(await presence.lastSeenOf(ALICE)).toEqual({ approx: 'recently' });
  });

  it('none for a deleted account or when the relay cannot be asked', async () => {
    served[ALICE] = undefined; // served without lastSeen (a deleted account)
    expect(await presence.lastSeenOf(ALICE)).toBeNull();
    expect(await presence.lastSeenOf('u-nobody')).toBeNull();
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('offline');
    });
    expect(await presence.lastSeenOf(BOB)).toBeNull();
  });

  it('a presence frame without lastSeen (a deleted account) forgets the user: the screen asks and shows none', async () => {
    served[ALICE] = { online: true };
    expect(await presence.lastSeenOf(ALICE)).toEqual({ online: true });
    const frame = ServerFrame.parse({ t: 'presence', userId: ALICE });
    served[ALICE] = undefined; // the relay now serves the deleted account without lastSeen
    expect(presence.ephemeralFrame(frame, emit)).toBe(true);
    expect(events).toEqual([{ type: 'presence', userId: ALICE }]);
    expect(await presence.lastSeenOf(ALICE)).toBeNull();
    expect(asked).toEqual([`/api/users/${ALICE}`, `/api/users/${ALICE}`]);
  });

  it('the wire schema refuses a malformed presence frame', () => {
    const ok = { t: 'presence', userId: ALICE, lastSeen: { at: 1_700_000_040_000 } };
    expect(ServerFrame.safeParse(ok).success).toBe(true);
    for (const lastSeen of [{ at: 1.5 }, { at: -1 }, { approx: 'soon' }, { online: false }, {}, 'online']) {
      expect(ServerFrame.safeParse({ ...ok, lastSeen }).success).toBe(false);
    }
    expect(ServerFrame.safeParse({ t: 'privacy', lastSeen: 'friends' }).success).toBe(false);
  });

  it('the chat list asks for its peers in batches of 100, keeps the answers and takes frames over them', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `u-${i}`);
    for (const id of ids) served[id] = { at: 1_700_000_040_000 };
    served['u-7'] = { online: true };
    served['u-8'] = undefined; // deleted: the relay leaves it out
    await presence.lastSeenOf('u-3'); // already known: not asked again
    asked = [];

    const seen = await presence.lastSeenOfMany([...ids, 'u-7']);
    expect(batches.map((b) => b.length)).toEqual([100, 49]);
    expect(batches.flat()).not.toContain('u-3');
    expect(seen['u-7']).toEqual({ online: true });
    expect(seen['u-3']).toEqual({ at: 1_700_000_040_000 });
    expect('u-8' in seen).toBe(false);
    expect(Object.keys(seen)).toHaveLength(149);

    // Kept: the header's ask needs no request; a frame replaces it for both.
    expect(await presence.lastSeenOf('u-7')).toEqual({ online: true });
    presence.ephemeralFrame({ t: 'presence', userId: 'u-7', lastSeen: { at: 1_700_000_100_000 } }, emit);
    batches = [];
    expect(await presence.lastSeenOfMany(['u-7', 'u-1'])).toEqual({ 'u-7': { at: 1_700_000_100_000 }, 'u-1': { at: 1_700_000_040_000 } });
    expect(batches).toEqual([]);

    // Offline: nothing known is left out quietly.
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('offline');
    });
    expect(await presence.lastSeenOfMany(['u-1', 'u-999'])).toEqual({ 'u-1': { at: 1_700_000_040_000 } });
  });

  it('the relay answer is validated: a malformed one shows nothing', async () => {
    vi.stubGlobal(
      'fetch',
      async () =>
        new Response(JSON.stringify({ users: [{ userId: ALICE, lastSeen: { online: false } }] }), { status: 200, headers: { 'content-type': 'application/json' } })
    );
    expect(await presence.lastSeenOfMany([ALICE])).toEqual({});
  });
});
