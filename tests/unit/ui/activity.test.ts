import { describe, expect, it } from 'vitest';
import { ActivityClock, SHARE_MS } from '$lib/ui/activity';

describe('device-wide activity for the auto-lock', () => {
  it('shares this tab’s use at most every few seconds, and counts the other tabs’ use', () => {
    let now = 1_000_000;
    const sent: unknown[] = [];
    const clock = new ActivityClock({ postMessage: (v) => sent.push(v) }, () => now);
    now += 60_000;
    expect(clock.idleMs()).toBe(60_000);
    clock.touch();
    expect(clock.idleMs()).toBe(0);
    now += SHARE_MS - 1;
    clock.touch();
    expect(sent).toEqual([1_060_000]);
    now += 1;
    clock.touch();
    expect(sent).toEqual([1_060_000, 1_060_000 + SHARE_MS]);

    // Four minutes here without use, but another tab was used a minute ago: idle for a minute.
    now += 240_000;
    clock.heard(now - 60_000);
    expect(clock.idleMs()).toBe(60_000);
    // An older report, a time from the future, or no time at all change nothing.
    clock.heard(now - 200_000);
    clock.heard(now + 3_600_000);
    clock.heard('soon');
    clock.heard(Number.NaN);
    expect(clock.idleMs()).toBe(60_000);
  });
});
