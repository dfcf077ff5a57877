// A receive run that meets an outage (a chat request's claim times out, the relay answers 503) keeps
// what it did not handle: on the relay (a pull stops at that page) or, for envelopes the service
// worker held while locked, in the held table, and takes them up at the next run.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { receiveHeld } from '$lib/worker/locked-inbox';
import { NetError } from '$lib/worker/net';
import { secretMessages } from '$lib/worker/secret';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

let dbs = 0;

/** Alice and Bob with an active chat, Carol; Bob's claims fail while `outage` holds an error. */
async function trio() {
  const relay = new FakeRelay();
  const fail: { outage: NetError | null; pages: number; gate: Promise<void> | null; pulls: number } = { outage: null, pages: 0, gate: null, pulls: 0 };
  const base = relay.as('d-bob');
  const bobRelay = {
    ...base,
    claim: async (id: string) => {
      if (fail.outage) throw fail.outage;
      return base.claim(id);
    },
    // The next `pages` page requests fail with the outage (the socket, not modelled here, stays up).
    pull: async (after: number, limit: number) => {
      fail.pulls++;
      if (fail.gate) await fail.gate;
      if (fail.pages > 0) {
        fail.pages--;
        throw new NetError('unavailable', 'relay restarting', 503);
      }
      return base.pull(after, limit);
    }
  };
  const alice = await secretDevice(relay, `outage-alice-${++dbs}`, 'alice', { userId: 'u-alice', deviceId: 'd-alice' });
  const bob = await secretDevice(relay, `outage-bob-${dbs}`, 'bob', { userId: 'u-bob', deviceId: 'd-bob' }, { relay: bobRelay });
  const carol = await secretDevice(relay, `outage-carol-${dbs}`, 'carol', { userId: 'u-carol', deviceId: 'd-carol' });
  const ab = await alice.engine.start('u-bob');
  await alice.engine.flush();
  await deliver(relay, bob);
  await deliver(relay, alice);
  await deliver(relay, bob);
  relay.take('d-bob');
  relay.take('d-alice');
  // Bob's queue: Carol's request, then three of Alice's messages.
  const cb = await carol.engine.start('u-bob');
  await carol.engine.flush();
  for (const t of ['a1', 'a2', 'a3']) await alice.engine.sendText(ab, t, null);
  await alice.engine.flush();
  const texts = async () => (await secretMessages(bob.db, bob.vault, ab, { limit: 50 })).messages.flatMap((m) => (m.kind === 'service' ? [] : [m.text]));
  return { relay, fail, alice, bob, ab, cb, texts };
}

describe('a receive run that meets an outage', () => {
  for (const outage of [new NetError('offline', 'timed out'), new NetError('unavailable', 'relay restarting', 503), new NetError('rate_limited', 'slow down', 429)]) {
    it(`stops the pull at that page and loses nothing (claim: ${outage.code})`, async () => {
      const { relay, fail, bob, cb, texts } = await trio();
      relay.pageBytes = 1; // one envelope a page: the next page is fetched ahead while the request fails
      fail.outage = outage;
      await bob.engine.pull();
      // Nothing past the request was handled or acknowledged: all four wait on the relay.
      expect(relay.peek('d-bob')).toBe(4);
      expect(await bob.db.secretChats.get(cb)).toBeUndefined();
      expect(await texts()).toEqual([]);
      fail.outage = null;
      await bob.engine.pull();
      expect(relay.peek('d-bob')).toBe(0);
      expect((await bob.db.secretChats.get(cb))?.status).toBe('active');
      expect(await texts()).toEqual(['a1', 'a2', 'a3']);
    });
  }

  it('pulls again by itself after a page could not be fetched: no frame may come for what waits', async () => {
    const { relay, fail, bob, cb, texts } = await trio();
    fail.pages = 2;
    await expect(bob.engine.pull()).rejects.toMatchObject({ code: 'unavailable' });
    expect(relay.peek('d-bob')).toBe(4);
    // Nothing else pulls here (no frame, no reconnect): the engine's own backoff (2 s, then 4 s) does.
    await vi.waitFor(() => expect(relay.peek('d-bob')).toBe(0), { timeout: 20_000, interval: 100 });
    expect(fail.pages).toBe(0);
    await vi.waitFor(async () => expect(await texts()).toEqual(['a1', 'a2', 'a3']), { timeout: 5_000 });
    expect((await bob.db.secretChats.get(cb))?.status).toBe('active');
    bob.engine.stop();
  }, 30_000);

  it('schedules no retry once the engine stopped, even for a pull that fails after the stop', async () => {
    const { relay, fail, bob } = await trio();
    let open!: () => void;
    fail.gate = new Promise((done) => (open = done));
    fail.pages = 1;
    const pulled = bob.engine.pull();
    await vi.waitFor(() => expect(fail.pulls).toBe(1));
    // Logout or a lock stops the engine while its page request is on the way; then the request fails.
    bob.engine.stop();
    fail.gate = null;
    open();
    await expect(pulled).rejects.toMatchObject({ code: 'unavailable' });
    // A retry would come after 2 s: none comes through the stopped engine.
    await new Promise((done) => setTimeout(done, 2_500));
    expect(fail.pulls).toBe(1);
    expect(relay.peek('d-bob')).toBe(4);
  }, 10_000);

  it('keeps held envelopes (already acknowledged: the only copy) past where it stopped', async () => {
    const { relay, fail, alice, bob, ab, cb, texts } = await trio();
    // What the service worker did while the app was locked: stored the envelopes and acknowledged them.
    const held = relay.take('d-bob');
    await bob.db.lockedInbox.bulkPut(held.map((e) => ({ id: e.id, seq: e.seq, envelope: e, at: Date.now() })));
    fail.outage = new NetError('offline', 'timed out');
    expect(await receiveHeld(bob.db, async () => bob.engine)).toBe(0);
    expect(await bob.db.lockedInbox.count()).toBe(4);
    // A pull takes what is held before anything newer on the relay; while the outage lasts, neither.
    await alice.engine.sendText(ab, 'a4', null);
    await alice.engine.flush();
    await bob.engine.pull();
    expect(await bob.db.lockedInbox.count()).toBe(4);
    expect(relay.peek('d-bob')).toBe(1);
    fail.outage = null;
    expect(await receiveHeld(bob.db, async () => bob.engine)).toBe(4);
    expect(await bob.db.lockedInbox.count()).toBe(0);
    expect(await texts()).toEqual(['a1', 'a2', 'a3']);
    await bob.engine.pull();
    expect(relay.peek('d-bob')).toBe(0);
    expect((await bob.db.secretChats.get(cb))?.status).toBe('active');
    expect(await texts()).toEqual(['a1', 'a2', 'a3', 'a4']);
  });
});
