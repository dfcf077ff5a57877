/** The Schedule dialog's time: a `datetime-local` value (local time, seconds) and its checks. */

/** The limits the relay checks too (api/wire-scheduled.ts SCHEDULED). */
export const MIN_AHEAD_MS = 5_000;
export const MAX_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

/** A `datetime-local` value (local time, seconds) for `ms`. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The time a `datetime-local` value names (local time), or an error in words. */
export function pickedTime(value: string, now = Date.now()): { at: number } | { error: string } {
  const at = value ? new Date(value).getTime() : NaN;
  if (!Number.isFinite(at)) return { error: 'Choose a date and a time.' };
  if (at < now + MIN_AHEAD_MS) return { error: 'Choose a time at least 5 seconds from now.' };
  if (at > now + MAX_AHEAD_MS) return { error: 'Choose a time within 365 days.' };
  return { at };
}
