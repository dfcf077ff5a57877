import { describe, expect, it } from 'vitest';
import { lastSeenText } from '$lib/ui/last-seen';

// Local times (the reader's time zone): Friday 4 Dec 2026, 14:05.
const now = new Date(2026, 11, 4, 14, 5, 0).getTime();
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => ({ at: new Date(y, mo, d, h, mi).getTime() });
const MIN = 60_000;
const text = (seen: Parameters<typeof lastSeenText>[0], when = now) => lastSeenText(seen, when, 'en-GB');

describe('lastSeenText', () => {
  it('says "online"', () => {
    expect(text({ online: true })).toBe('online');
  });

  it('"just now" under a minute and for a clock slightly ahead, then whole minutes under an hour', () => {
    expect(text({ at: now })).toBe('last seen just now');
    expect(text({ at: now - 59_999 })).toBe('last seen just now');
    expect(text({ at: now + 30_000 })).toBe('last seen just now');
    expect(text({ at: now - MIN })).toBe('last seen 1 minute ago');
    expect(text({ at: now - 5 * MIN - 10_000 })).toBe('last seen 5 minutes ago');
    expect(text({ at: now - 59 * MIN })).toBe('last seen 59 minutes ago');
  });

  it('today at, yesterday at (by the calendar), then the date at', () => {
    expect(text(at(2026, 11, 4, 9, 30))).toBe('last seen today at 09:30');
    expect(text(at(2026, 11, 3, 23, 59))).toBe('last seen yesterday at 23:59');
    const justAfterMidnight = new Date(2026, 11, 5, 0, 10).getTime();
    expect(text(at(2026, 11, 4, 23, 30), justAfterMidnight)).toBe('last seen 40 minutes ago');
    expect(text(at(2026, 11, 4, 22, 0), justAfterMidnight)).toBe('last seen yesterday at 22:00');
    expect(text(at(2026, 11, 2, 8, 15))).toBe('last seen 2 Dec at 08:15');
    expect(text(at(2025, 11, 12, 14, 5))).toBe('last seen 12 Dec 2025 at 14:05');
  });

  it('the approximate forms', () => {
    expect(text({ approx: 'recently' })).toBe('last seen recently');
    expect(text({ approx: 'week' })).toBe('last seen within a week');
    expect(text({ approx: 'month' })).toBe('last seen within a month');
    expect(text({ approx: 'long' })).toBe('last seen a long time ago');
  });
});
