// Registering wake-up slots (issue #20 §2): the device's phase is made once and kept; each slot is
// asked for once however many deadlines fall in it; a registration leaves at a random time — not at
// the read — but always before its slot; one the relay could not take is tried again, one it refused
// is asked for again by a later deadline; slots still waiting when the app closed go at the next start.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { NetError } from '$lib/worker/net';
import { WAKE_LEAD_MS, WAKE_SEND_BACKGROUND_MAX_MS, WAKE_SEND_MAX_MS, wakeSendAt } from '$lib/worker/secret/jitter';
import type { SecretRelay } from '$lib/worker/secret/relay';
import { WAKE_SLOT_MS, wakeSlot } from '$lib/worker/secret/wake-slots';
import { Wakeups } from '$lib/worker/secret/wakeups';
import { FakeClock } from '../support/fake-clock';
import { unlockedStore } from '../support/store';

let n = 0;
const T0 = 1_700_000_000_000;

function stubRelay(clock: FakeClock) {
  const calls: { at: number; times: number[] }[] = [];
  const fails: unknown[] = [];
  const relay = {
    wakeAt: async (times: number[]) => {
      if (fails.length) throw fails.shift();
      calls.push({ at: clock.now(), times });
    }
  } as unknown as SecretRelay;
  return { relay, calls, fail: (e: unknown) => void fails.push(e) };
}

async function setup(random?: number | number[]) {
  const { db } = await unlockedStore(`wakeups-${n++}`);
  const clock = new FakeClock({ now: T0, random });
  const { relay, calls, fail } = stubRelay(clock);
  return { db, clock, relay, calls, fail, wakeups: new Wakeups(db, relay, clock) };
}

describe('when a registration leaves', () => {
  it('uniformly up to WAKE_SEND_MAX_MS later, and never later than WAKE_LEAD_MS before the slot', () => {
    const now = T0;
    expect(wakeSendAt(now, now + 3600_000, () => 0)).toBe(now);
    expect(wakeSendAt(now, now + 3600_000, () => 0.999999)).toBeLessThanOrEqual(now + WAKE_SEND_MAX_MS);
    expect(wakeSendAt(now, now + 3600_000, () => 0.5)).toBe(now + WAKE_SEND_MAX_MS / 2);
    // A slot 3 minutes ahead: sent within the first 2 minutes.
    for (const r of [0, 0.3, 0.999999]) expect(wakeSendAt(now, now + 180_000, () => r)).toBeLessThanOrEqual(now + 180_000 - WAKE_LEAD_MS);
    // A slot nearer than the lead: at once.
    expect(wakeSendAt(now, now + 30_000, () => 0.9)).toBe(now);
  });
});

describe('Wakeups', () => {
  it('asks for each slot once, on a phase kept for the device, at a random time — not at the read', async () => {
    const { db, clock, calls, wakeups } = await setup(0.5);
    await wakeups.add([T0 + 5_000, T0 + 6_000, T0 - 1]);
    const phase = (await db.meta.get('wakePhase'))!.value as number;
    expect(phase).toBe(WAKE_SLOT_MS / 2);
    // Nothing at the read: one timer, at the drawn time before the slot.
    expect(calls).toEqual([]);
    const slot = wakeSlot(T0 + 5_000, phase);
    expect(wakeSlot(T0 + 6_000, phase)).toBe(slot);
    const sendAt = wakeSendAt(T0, slot, () => 0.5);
    expect(clock.armed()).toEqual([sendAt]);
    expect(sendAt).toBeGreaterThan(T0);
    expect(sendAt).toBeLessThanOrEqual(slot - WAKE_LEAD_MS);
    clock.advance(sendAt - T0 - 1);
    await wakeups.idle();
    expect(calls).toEqual([]);
    clock.advance(1);
    await wakeups.idle();
    expect(calls).toEqual([{ at: sendAt, times: [slot] }]);
    // Again, and one more deadline in a later slot: only that slot is asked for; the phase stays.
    await wakeups.add([T0 + 5_500, T0 + 2 * WAKE_SLOT_MS]);
    clock.advance(WAKE_SEND_MAX_MS);
    await wakeups.idle();
    expect((await db.meta.get('wakePhase'))!.value).toBe(phase);
    expect(calls.map((c) => c.times)).toEqual([[slot], [wakeSlot(T0 + 2 * WAKE_SLOT_MS, phase)]]);
  });

  it('slots read at different times go in one request before the earliest; a nearer slot brings the send forward', async () => {
    // Draws: the phase, then each send time.
    const { db, clock, calls, wakeups } = await setup([0.6667, 0.99, 0.5]);
    // A deadline two hours ahead: the send is drawn near the 5-minute end.
    await wakeups.add([T0 + 7200_000]);
    const p = (await db.meta.get('wakePhase'))!.value as number;
    const far = wakeSlot(T0 + 7200_000, p);
    expect(clock.armed()).toEqual([T0 + Math.floor(0.99 * WAKE_SEND_MAX_MS)]);
    // A minute later a 40-second timer is read: its slot is due before that send could reach the relay.
    clock.advance(60_000);
    const near = wakeSlot(T0 + 100_000, p);
    expect(near - WAKE_LEAD_MS).toBeLessThan(clock.armed()[0]!);
    await wakeups.add([T0 + 100_000]);
    const fireAt = clock.armed()[0]!;
    expect(clock.armed()).toEqual([clock.now() + Math.floor(0.5 * (near - WAKE_LEAD_MS - clock.now()))]);
    clock.advance(fireAt - clock.now());
    await wakeups.idle();
    // One request with both slots, sent before the nearer one is due.
    expect(calls).toEqual([{ at: fireAt, times: [near, far] }]);
    expect(fireAt).toBeLessThanOrEqual(near - WAKE_LEAD_MS);
  });

  it('a registration that met no network is tried again before its slot; one the relay refused is forgotten', async () => {
    const { clock, calls, fail, wakeups } = await setup(0);
    fail(new NetError('offline', 'no network'));
    await wakeups.add([T0 + 3600_000]);
    clock.advance(0);
    await wakeups.idle();
    expect(calls).toEqual([]);
    // The retry timer (15–45 s).
    expect(clock.armed()).toHaveLength(1);
    clock.advance(45_000);
    await wakeups.idle();
    expect(calls).toHaveLength(1);

    fail(new NetError('bad_request', 'refused', 400));
    await wakeups.add([T0 + 7200_000]);
    clock.advance(0);
    await wakeups.idle();
    expect(calls).toHaveLength(1);
    expect(clock.armed()).toEqual([]);
    // Forgotten, so the next deadline in that slot asks again.
    await wakeups.add([T0 + 7200_000]);
    clock.advance(0);
    await wakeups.idle();
    expect(calls).toHaveLength(2);
  });

  it('slots still waiting when the app closed are sent at the next start (if still ahead); past ones are dropped', async () => {
    const { db, relay, calls } = await setup(0.5);
    const before = new FakeClock({ now: T0, random: 0.5 });
    const first = new Wakeups(db, relay, before);
    await first.add([T0 + 3 * 3600_000, T0 + 20_000]);
    expect(before.armed()).toHaveLength(1);
    first.stop();
    expect(before.armed()).toEqual([]);
    // The app closes: that engine's timer never fires. Past the first slot, a new engine starts.
    const after = new FakeClock({ now: T0 + WAKE_SLOT_MS + 1, random: 0 });
    const later = new Wakeups(db, relay, after);
    await later.arm();
    expect(calls).toEqual([]);
    expect(after.armed()).toEqual([after.now()]);
    await later.send();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.times).toHaveLength(1);
    expect(calls[0]!.times[0]).toBeGreaterThan(T0 + 3 * 3600_000 - 1);
    // Sent once: a second start has nothing left to send.
    await new Wakeups(db, relay, after).send();
    expect(calls).toHaveLength(1);
  });

  it('a service-worker wake registers its new slots before it ends, within a short random delay', async () => {
    // Before, the slot waited for a timer up to 5 minutes later, which a service worker never lives to run.
    const { db, clock, calls, wakeups } = await setup(0.5);
    // The commit's add is not awaited by the engine: sendWithin waits for it.
    void wakeups.add([T0 + 3600_000]);
    const done = wakeups.sendWithin(WAKE_SEND_BACKGROUND_MAX_MS);
    await vi.waitFor(() => expect(clock.armed()).toEqual([T0 + WAKE_SEND_BACKGROUND_MAX_MS / 2]));
    expect(calls).toEqual([]);
    clock.advance(WAKE_SEND_BACKGROUND_MAX_MS / 2);
    await done;
    const slot = wakeSlot(T0 + 3600_000, (await db.meta.get('wakePhase'))!.value as number);
    expect(calls).toEqual([{ at: T0 + WAKE_SEND_BACKGROUND_MAX_MS / 2, times: [slot] }]);
    expect((await db.meta.get('wakeDue'))!.value).toEqual([]);
    // Nothing waiting: nothing sent, nothing waited for.
    await wakeups.sendWithin(WAKE_SEND_BACKGROUND_MAX_MS);
    expect(calls).toHaveLength(1);
  });

  it('replaces a damaged stored phase instead of trusting it', async () => {
    const { db, clock, calls, wakeups } = await setup(0.25);
    await db.meta.put({ key: 'wakePhase', value: -5 });
    await db.meta.put({ key: 'wakeSlots', value: 'nonsense' });
    await db.meta.put({ key: 'wakeDue', value: 'nonsense' });
    await wakeups.add([T0 + 1_000]);
    expect((await db.meta.get('wakePhase'))!.value).toBe(WAKE_SLOT_MS / 4);
    clock.advance(WAKE_SEND_MAX_MS);
    await wakeups.idle();
    expect(calls).toHaveLength(1);
  });
});
