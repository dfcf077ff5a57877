import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkStalls, onStall, resetStallWatch, STALL_MS, tick, watchHeld, watchOpen, watchTransaction } from '$lib/store/stall-watch';

let t = 1_000_000;
const now = () => t;
const answer = (target: EventTarget, type = 'success') => target.dispatchEvent(new Event(type));

afterEach(() => resetStallWatch());

describe('stall watch', () => {
  it('reports a transaction with no answer for STALL_MS, once per context', () => {
    const stalled = vi.fn();
    onStall(stalled);
    const tx = new EventTarget();
    watchTransaction(tx, now);
    t += STALL_MS - 1;
    expect(checkStalls(t)).toBe(0);
    t += 1;
    expect(checkStalls(t)).toBe(1);
    expect(stalled).toHaveBeenCalledTimes(1);
    watchTransaction(new EventTarget(), now);
    t += STALL_MS;
    expect(checkStalls(t)).toBe(2);
    expect(stalled).toHaveBeenCalledTimes(1);
  });

  it('a transaction whose requests keep answering is slow, not stuck; one that ended is forgotten', () => {
    const stalled = vi.fn();
    onStall(stalled);
    const busy = new EventTarget();
    const done = new EventTarget();
    watchTransaction(busy, now);
    watchTransaction(done, now);
    for (let i = 0; i < 10; i++) {
      t += STALL_MS / 2;
      answer(busy);
      answer(busy, 'error');
    }
    answer(done, 'complete');
    expect(checkStalls(t)).toBe(0);
    answer(busy, 'abort');
    t += 10 * STALL_MS;
    expect(checkStalls(t)).toBe(0);
    expect(stalled).not.toHaveBeenCalled();
  });

  it('an open that never answers is stuck; a blocked one waits; an upgrade is followed through its transaction', () => {
    const silent = new EventTarget();
    watchOpen(silent, now);
    const blocked = new EventTarget();
    watchOpen(blocked, now);
    answer(blocked, 'blocked');
    const upgrade = Object.assign(new EventTarget(), { transaction: new EventTarget() });
    watchOpen(upgrade, now);
    answer(upgrade, 'upgradeneeded');
    for (let i = 0; i < 4; i++) {
      t += STALL_MS / 2;
      answer(upgrade.transaction);
    }
    // The silent open only.
    expect(checkStalls(t)).toBe(1);
    answer(silent, 'success');
    answer(upgrade.transaction, 'complete');
    expect(checkStalls(t + STALL_MS)).toBe(0);
  });

  it('an operation holding its store locks is stuck only while nothing of this context answers', () => {
    let held: number[] = [];
    watchHeld(() => held, now);
    held = [t];
    const tx = new EventTarget();
    watchTransaction(tx, now);
    t += STALL_MS;
    answer(tx);
    answer(tx, 'complete');
    // Something answered just now: the long hold is work going on.
    expect(checkStalls(t)).toBe(0);
    t += STALL_MS;
    expect(checkStalls(t)).toBe(1);
    held = [];
    expect(checkStalls(t)).toBe(0);
  });

  it('a context suspended meanwhile (an app in the background) counts again from its return', () => {
    watchTransaction(new EventTarget(), now);
    expect(tick(t)).toBe(0);
    // No check ran for a minute: the context was suspended, and nothing could answer it.
    t += 60_000;
    expect(tick(t)).toBe(0);
    const back = t;
    while (t - back < STALL_MS - 2_000) {
      t += 2_000;
      expect(tick(t)).toBe(0);
    }
    t += 2_000;
    expect(tick(t)).toBe(1);
  });
});
