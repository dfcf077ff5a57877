/**
 * A presence transition of a user with many chat partners (../../../src/lib/server/last-seen.ts fanOut),
 * on SQLite and PostgreSQL: a few store queries and at most one bus event per distinct frame whatever
 * the number of partners, and each partner holding a socket gets exactly what their profile view of the
 * user says (exact to those allowed; on a privacy change the approximate form to those who hide theirs
 * and "a long time ago" to those the user blocked); partners without a socket are dropped by the hubs.
 */
import { expect, it } from 'vitest';
import type { LastSeen, ServerFrame } from '../../../src/lib/api/wire';
import type { Bus, BusEvent } from '../../../src/lib/server/bus';
import { createLastSeen, roundToMinute } from '../../../src/lib/server/last-seen';
import { createLogger } from '../../../src/lib/server/log';
import { createLocalPresence } from '../../../src/lib/server/presence';
import { DAY, eachStore, mkUser, send, T0 } from './store-fixtures';
import { storeSpy } from './store-spy';

const MIN = 60_000;

eachStore(
  'last seen fan-out to many partners',
  (t) => {
    it('one partner query, one event per frame, the right frame to each partner online', async () => {
      const n = t.backend.name === 'sqlite' ? 2000 : 400;
      const target = (await mkUser(t.store)).user.id;
      const peers: string[] = [];
      for (let i = 0; i < n; i++) {
        const p = await mkUser(t.store);
        await send(t.store, p, { user: { id: target } as never });
        peers.push(p.user.id);
      }
      const hides = new Set(peers.filter((_, i) => i % 7 === 0));
      const blocked = new Set(peers.filter((_, i) => i % 11 === 0));
      const online = new Set(peers.filter((_, i) => i % 3 === 0));
      for (const id of hides) await t.store.setLastSeenPrivacy(id, 'nobody');
      for (const id of blocked) await t.store.block(target, id, T0, 10_000);

      const presence = createLocalPresence();
      for (const id of online) await presence.userOnline(id);
      const events: BusEvent[] = [];
      const bus: Bus = { publish: (e) => void events.push(e), subscribe: () => () => {}, close: async () => {} };
      const spy = storeSpy();
      let clock = T0 + 100 * DAY + 42_123;
      const lastSeen = createLastSeen({ store: spy.wrap(t.store), presence, bus, log: createLogger('error', () => {}), now: () => clock });

      /** What the hubs hand out: each event's frame to each recipient holding a socket. */
      const delivered = () => {
        const got = new Map<string, ServerFrame[]>();
        for (const e of events.splice(0)) {
          const to = e.to === 'user' ? [e.userId] : e.to === 'users' ? e.userIds : [];
          for (const id of to) if (online.has(id) && 'frame' in e) got.set(id, [...(got.get(id) ?? []), e.frame]);
        }
        return got;
      };
      const expectFrames = (got: Map<string, ServerFrame[]>, want: (id: string) => LastSeen | undefined) => {
        const expected = new Map<string, unknown[]>();
        for (const id of online) {
          const w = want(id);
          if (w !== undefined) expected.set(id, [{ t: 'presence', userId: target, lastSeen: w }]);
        }
        expect(got).toEqual(expected);
      };
      const allowed = (id: string) => !hides.has(id) && !blocked.has(id);
      const measure = async (run: () => Promise<void>) => {
        spy.calls.length = 0;
        spy.on = true;
        await run();
        spy.on = false;
        return [...spy.calls];
      };

      // Online: the exact state to those allowed, nothing to the others (their approximate form cannot change).
      const calls = await measure(() => lastSeen.socket(target, true));
      expect(calls.length).toBeLessThanOrEqual(4);
      expect(events.length).toBe(1);
      expectFrames(delivered(), (id) => (allowed(id) ? { online: true } : undefined));

      clock += 5 * MIN;
      const offline = clock;
      expect((await measure(() => lastSeen.socket(target, false))).length).toBeLessThanOrEqual(4);
      expect(events.length).toBe(1);
      expectFrames(delivered(), (id) => (allowed(id) ? { at: roundToMinute(offline) } : undefined));

      // A privacy change tells everyone what they now see.
      clock += MIN;
      expect((await measure(() => lastSeen.privacyChanged(target, 'chats'))).length).toBeLessThanOrEqual(4);
      expect(events.length).toBe(4); // the setting to the user, then three frames
      expect(events.shift()).toEqual({ to: 'user', userId: target, frame: { t: 'privacy', lastSeen: 'chats' } });
      expectFrames(delivered(), (id) => (blocked.has(id) ? { approx: 'long' } : hides.has(id) ? { approx: 'recently' } : { at: roundToMinute(offline) }));
    }, 120_000);
  },
  { max: 2 }
);
