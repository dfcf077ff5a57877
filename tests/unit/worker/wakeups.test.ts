// Registering wake-up slots (issue #20 §2): the device's phase is made once and kept; each slot is
// asked for once however many deadlines fall in it; a slot the relay refused is asked for again later.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { SecretRelay } from '$lib/worker/secret/relay';
import { WAKE_SLOT_MS, wakeSlot } from '$lib/worker/secret/wake-slots';
import { registerWakeups } from '$lib/worker/secret/wakeups';
import { unlockedStore } from '../support/store';

let n = 0;
function stubRelay() {
  const calls: number[][] = [];
  let fail = 0;
  const relay = {
    wakeAt: async (at: number[]) => {
      if (fail > 0) {
        fail--;
        throw new Error('offline');
      }
      calls.push(at);
    }
  } as unknown as SecretRelay;
  return { relay, calls, failNext: () => void (fail = 1) };
}

describe('registerWakeups', () => {
  it('asks for each slot once, on a phase kept for the device, never for a past deadline', async () => {
    const { db } = await unlockedStore(`wakeups-${n++}`);
    const { relay, calls } = stubRelay();
    const now = 1_700_000_000_000;
    await registerWakeups(db, relay, [now + 5_000, now + 6_000, now - 1], now);
    const phase = (await db.meta.get('wakePhase'))!.value as number;
    expect(phase).toBeGreaterThanOrEqual(0);
    expect(phase).toBeLessThan(WAKE_SLOT_MS);
    expect(calls).toHaveLength(1);
    // Both deadlines in one slot unless the slot boundary fell between them.
    const slots = new Set([wakeSlot(now + 5_000, phase), wakeSlot(now + 6_000, phase)]);
    expect(calls.flat().sort()).toEqual([...slots].sort());
    // Again, and one more deadline in a later slot: only that slot is asked for; the phase stays.
    await registerWakeups(db, relay, [now + 5_500, now + 2 * WAKE_SLOT_MS], now);
    expect((await db.meta.get('wakePhase'))!.value).toBe(phase);
    expect(calls.at(-1)).toEqual([wakeSlot(now + 2 * WAKE_SLOT_MS, phase)]);
  });

  it('forgets a slot the relay did not take, so the next deadline in it asks again', async () => {
    const { db } = await unlockedStore(`wakeups-${n++}`);
    const { relay, calls, failNext } = stubRelay();
    const now = 1_700_000_000_000;
    failNext();
    await registerWakeups(db, relay, [now + 1_000], now);
    expect(calls).toEqual([]);
    await registerWakeups(db, relay, [now + 1_000], now);
    expect(calls).toHaveLength(1);
  });

  it('replaces a damaged stored phase instead of trusting it', async () => {
    const { db } = await unlockedStore(`wakeups-${n++}`);
    await db.meta.put({ key: 'wakePhase', value: -5 });
    await db.meta.put({ key: 'wakeSlots', value: 'nonsense' });
    const { relay, calls } = stubRelay();
    await registerWakeups(db, relay, [Date.now() + 1_000]);
    const phase = (await db.meta.get('wakePhase'))!.value as number;
    expect(phase).toBeGreaterThanOrEqual(0);
    expect(calls).toHaveLength(1);
  });
});
