/** Short times for lists: "14:05" today, "Mon" this week, "12 Mar" this year, else "12/03/2025". */
export function listTime(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const n = new Date(now);
  if (d.toDateString() === n.toDateString()) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (now - ts < 6 * 86400_000) return d.toLocaleDateString(undefined, { weekday: 'short' });
  if (d.getFullYear() === n.getFullYear()) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return d.toLocaleDateString();
}

const MIN = 60_000;

/**
 * When a chat's last message was, as a chat list says it: "just now" under a minute, "5 min" under an
 * hour, the clock time earlier today, "Yesterday", the weekday within a week, then the date ("4 Dec",
 * "4 Dec 2025" in another year). A time slightly in the future (another device's clock) is "just now".
 */
export function relativeTime(ts: number, now = Date.now(), locale?: string): string {
  const ago = now - ts;
  if (ago < MIN) return 'just now';
  if (ago < 60 * MIN) return `${Math.floor(ago / MIN)} min`;
  const day = nearDay(ts, now);
  if (day === 'today') return clockTime(ts, locale);
  if (day === 'yesterday') return 'Yesterday';
  const n = new Date(now);
  const weekAgo = new Date(n.getFullYear(), n.getMonth(), n.getDate() - 6);
  if (ts >= weekAgo.getTime()) return new Date(ts).toLocaleDateString(locale, { weekday: 'short' });
  return shortDate(ts, now, locale);
}

/** Whether `ts` falls on `now`'s calendar day or the one before (local time); null otherwise. */
export function nearDay(ts: number, now: number): 'today' | 'yesterday' | null {
  const d = new Date(ts).toDateString();
  const n = new Date(now);
  if (d === n.toDateString()) return 'today';
  if (d === new Date(n.getFullYear(), n.getMonth(), n.getDate() - 1).toDateString()) return 'yesterday';
  return null;
}

/** "4 Dec", or "4 Dec 2025" in another year than `now`'s. */
export function shortDate(ts: number, now: number, locale?: string): string {
  const d = new Date(ts);
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'short', ...(d.getFullYear() === new Date(now).getFullYear() ? {} : { year: 'numeric' }) });
}

/** How long until relativeTime's answer for `ts` may change (ms): a list re-renders then. */
export function relativeTimeRefresh(ts: number, now = Date.now()): number {
  const ago = now - ts;
  if (ago < 60 * MIN) return MIN - (Math.max(ago, 0) % MIN);
  const n = new Date(now);
  return new Date(n.getFullYear(), n.getMonth(), n.getDate() + 1).getTime() - now;
}

/** "4 Dec 14:05": when a secret chat started, to tell several with one person apart. */
export function startedAt(ts: number, locale?: string): string {
  const d = new Date(ts);
  return `${d.toLocaleDateString(locale, { day: 'numeric', month: 'short' })} ${clockTime(ts, locale)}`;
}

/** "14:05" (as the locale writes a time of day). */
export function clockTime(ts: number, locale?: string): string {
  return new Date(ts).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

export function dayLabel(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const n = new Date(now);
  if (d.toDateString() === n.toDateString()) return 'Today';
  const y = new Date(now - 86400_000);
  if (d.toDateString() === y.toDateString()) return 'Yesterday';
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: d.getFullYear() === n.getFullYear() ? undefined : 'numeric' });
}

/** Self-destruct timer choices (seconds): defined with the wire contract, re-exported for the pages. */
export { TTL_CHOICES } from '$lib/api/limits';

export function formatTtl(seconds: number): string {
  if (seconds <= 0) return 'Off';
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds === 60) return '1 minute';
  if (seconds === 3600) return '1 hour';
  if (seconds === 86400) return '1 day';
  if (seconds === 604800) return '1 week';
  return `${seconds} s`;
}

/** Compact form for badges: 5s, 1m, 1h, 1d, 1w. */
export function shortTtl(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h`;
  if (seconds < 604800) return `${Math.round(seconds / 86400)}d`;
  return `${Math.round(seconds / 604800)}w`;
}

/** File sizes as people read them: 512 B, 14 KB, 3.2 MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
