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
  let presence: typeof import('$lib/worker/presence');
  let events: WorkerEvent[];
  const emit = (e: WorkerEvent) => events.push(e);

  beforeEach(async () => {
    vi.resetModules(); // a fresh worker's memory
    presence = await import('$lib/worker/presence');
    events = [];
    asked = [];
    served = {};
    vi.stubGlobal('fetch', async (path: string) => {
      asked.push(path);
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
});
