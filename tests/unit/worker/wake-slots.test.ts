// Wake-up slots (issue #20 §2): a deadline is rounded up to the device's own grid, never down, so a
// wake-up is never early and at most one slot late; each slot is asked for once.
import { describe, expect, it } from 'vitest';
import { newWakePhase, slotsToRegister, WAKE_SLOT_MS, wakeSlot } from '$lib/worker/secret/wake-slots';

const MIN = 60_000;

describe('wake-up slots', () => {
  it('round a deadline up to the next slot of the device grid, never down', () => {
    expect(WAKE_SLOT_MS).toBe(10 * MIN);
    const phase = 123_456;
    for (const deadline of [phase, phase + 1, phase + WAKE_SLOT_MS - 1, phase + WAKE_SLOT_MS, 1_700_000_000_000, 1_700_000_000_001]) {
      const slot = wakeSlot(deadline, phase);
      expect(slot).toBeGreaterThanOrEqual(deadline);
      expect(slot - deadline).toBeLessThan(WAKE_SLOT_MS);
      expect((((slot - phase) % WAKE_SLOT_MS) + WAKE_SLOT_MS) % WAKE_SLOT_MS).toBe(0);
    }
    expect(wakeSlot(phase, phase)).toBe(phase);
    expect(wakeSlot(phase + 1, phase)).toBe(phase + WAKE_SLOT_MS);
  });

  it('hide the exact read time and timer: deadlines a slot apart or less map to one slot', () => {
    const phase = 5 * MIN;
    const readAt = 1_700_000_123_456;
    // The same message read 2 s apart on two timers of 5 s and 1 min: one slot for both.
    expect(wakeSlot(readAt + 5_000, phase)).toBe(wakeSlot(readAt + 2_000 + 60_000, phase));
  });

  it('two devices with different phases ask for different times for one deadline', () => {
    const deadline = 1_700_000_000_000;
    expect(
      wakeSlot(
        deadline,
        newWakePhase(() => 0.1)
      )
    ).not.toBe(
      wakeSlot(
        deadline,
        newWakePhase(() => 0.7)
      )
    );
  });

  it('a phase lies in [0, slot)', () => {
    expect(newWakePhase(() => 0)).toBe(0);
    expect(newWakePhase(() => 0.999999999)).toBe(WAKE_SLOT_MS - 1);
    expect(newWakePhase(() => 0.5)).toBe(WAKE_SLOT_MS / 2);
  });

  it('register each slot once, sorted, none past the horizon or already registered', () => {
    const phase = 0;
    const t = 1_700_000_000_000 - (1_700_000_000_000 % WAKE_SLOT_MS);
    const deadlines = [t + 1, t + 2, t + WAKE_SLOT_MS + 5, t + 3 * WAKE_SLOT_MS + 1, t + 100 * WAKE_SLOT_MS];
    const registered = new Set([t + 2 * WAKE_SLOT_MS]);
    // t+1 and t+2 share a slot; t+W+5's slot is registered already; t+100W is past the horizon.
    expect(slotsToRegister(deadlines, phase, registered, t + 10 * WAKE_SLOT_MS)).toEqual([t + WAKE_SLOT_MS, t + 4 * WAKE_SLOT_MS]);
  });
});
