/**
 * How a person's "online" / "last seen" reads (Telegram's wording): "online", "last seen just now",
 * "last seen 5 minutes ago", "last seen today at 14:05", "last seen yesterday at 14:05", "last seen
 * 12 Dec at 14:05" (with the year when another), or, when hidden, "last seen recently", "… within a
 * week", "… within a month", "… a long time ago". The chat header refreshes it every 30 s while shown.
 */
import type { LastSeenView } from '$lib/worker/protocol';
import { clockTime, nearDay, shortDate } from './format';

const MIN = 60_000;
/** How often an open screen re-reads the text (minutes pass). */
export const LAST_SEEN_TICK_MS = 30_000;

const APPROX: Record<'recently' | 'week' | 'month' | 'long', string> = {
  recently: 'last seen recently',
  week: 'last seen within a week',
  month: 'last seen within a month',
  long: 'last seen a long time ago'
};

export function lastSeenText(seen: LastSeenView, now = Date.now(), locale?: string): string {
  if ('online' in seen) return 'online';
  if ('approx' in seen) return APPROX[seen.approx];
  const ago = now - seen.at;
  // A time slightly ahead (another clock) is "just now" too.
  if (ago < MIN) return 'last seen just now';
  if (ago < 60 * MIN) {
    const n = Math.floor(ago / MIN);
    return `last seen ${n} ${n === 1 ? 'minute' : 'minutes'} ago`;
  }
  const time = clockTime(seen.at, locale);
  return `last seen ${nearDay(seen.at, now) ?? shortDate(seen.at, now, locale)} at ${time}`;
}
