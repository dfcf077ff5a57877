// The Schedule dialog's time: a datetime-local value (local time, seconds) read back as the same
// instant; at least 5 s and at most 365 days ahead, said in words otherwise.
import { describe, expect, it } from 'vitest';
import { localInput, pickedTime } from '$lib/chat/schedule-time';

describe('schedule time', () => {
  const now = new Date(2026, 11, 7, 18, 30, 15).getTime();

  it('round-trips a local time to the second', () => {
    expect(localInput(now)).toBe('2026-12-07T18:30:15');
    expect(pickedTime(localInput(now + 60_000), now)).toEqual({ at: now + 60_000 });
  });

  it('refuses a time too soon, too far or missing', () => {
    expect(pickedTime(localInput(now + 4_000), now)).toEqual({ error: 'Choose a time at least 5 seconds from now.' });
    expect(pickedTime(localInput(now - 60_000), now)).toEqual({ error: 'Choose a time at least 5 seconds from now.' });
    expect(pickedTime(localInput(now + 366 * 86_400_000), now)).toEqual({ error: 'Choose a time within 365 days.' });
    expect(pickedTime('', now)).toEqual({ error: 'Choose a date and a time.' });
    expect(pickedTime(localInput(now + 5_000), now)).toEqual({ at: now + 5_000 });
  });
});
