import { describe, expect, it } from 'vitest';
import { relativeTime, relativeTimeRefresh, startedAt } from '$lib/ui/format';

// Local times (the formatter speaks the reader's time zone): Friday 4 Dec 2026, 14:05.
const now = new Date(2026, 11, 4, 14, 5, 0).getTime();
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo, d, h, mi).getTime();
const MIN = 60_000;

describe('relativeTime', () => {
  it('says "just now" under a minute, and for a clock slightly ahead', () => {
    expect(relativeTime(now, now)).toBe('just now');
    expect(relativeTime(now - 59_999, now)).toBe('just now');
    expect(relativeTime(now + 30_000, now)).toBe('just now');
  });

  it('counts whole minutes under an hour', () => {
    expect(relativeTime(now - MIN, now)).toBe('1 min');
    expect(relativeTime(now - 5 * MIN - 10_000, now)).toBe('5 min');
    expect(relativeTime(now - 59 * MIN, now)).toBe('59 min');
  });

  it('gives the clock time earlier today', () => {
    expect(relativeTime(at(2026, 11, 4, 9, 30), now, 'en-GB')).toBe('09:30');
    expect(relativeTime(at(2026, 11, 4, 0, 1), now, 'en-GB')).toBe('00:01');
  });

  it('says "Yesterday" for the calendar day before, however close to midnight', () => {
    expect(relativeTime(at(2026, 11, 3, 23, 59), now, 'en-GB')).toBe('Yesterday');
    expect(relativeTime(at(2026, 11, 3, 0, 0), now, 'en-GB')).toBe('Yesterday');
    // Just after midnight, a message from 23:30 is from yesterday, though only 40 minutes ago is "40 min".
    const justAfterMidnight = at(2026, 11, 5, 0, 10);
    expect(relativeTime(at(2026, 11, 4, 23, 30), justAfterMidnight, 'en-GB')).toBe('40 min');
    expect(relativeTime(at(2026, 11, 4, 22, 0), justAfterMidnight, 'en-GB')).toBe('Yesterday');
  });

  it('names the weekday within the last week, then the date', () => {
    expect(relativeTime(at(2026, 11, 1), now, 'en-GB')).toBe('Tue');
    expect(relativeTime(at(2026, 10, 28), now, 'en-GB')).toBe('Sat');
    expect(relativeTime(at(2026, 10, 27), now, 'en-GB')).toBe('27 Nov');
    expect(relativeTime(at(2025, 11, 24), now, 'en-GB')).toBe('24 Dec 2025');
  });
});

describe('relativeTimeRefresh', () => {
  it('is due when the minute count changes within the hour', () => {
    expect(relativeTimeRefresh(now, now)).toBe(MIN);
    expect(relativeTimeRefresh(now - 90_000, now)).toBe(30_000);
  });

  it('is due at midnight for older times (Yesterday, weekday)', () => {
    expect(relativeTimeRefresh(now - 3 * 60 * MIN, now)).toBe(at(2026, 11, 5, 0, 0) - now);
  });
});

describe('startedAt', () => {
  it('names the day and the minute', () => {
    expect(startedAt(now, 'en-GB')).toBe('4 Dec 14:05');
  });
});
