/**
 * Random delays that keep the relay from telling what an envelope or a request is by when it leaves
 * (issue #20 §2, §4). Pure; the engine is given a Clock so tests can run time and chance by hand.
 */

/** Time and chance, as the engine uses them. */
export interface Clock {
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>)
};

/**
 * How long a chat's receipts (read reports and ACK frames) wait before they leave: uniform in this
 * range, drawn per batch. Sent at once they left ~130 ms after the message they answer arrived or was
 * shown; delayed, they leave when a quick reply or a typing notice might. A receipt carries the read
 * time, so the sender's timer still starts then; with a timer of a few seconds the sender's copy may be
 * gone as soon as the receipt arrives (docs/timers.md).
 */
export const RECEIPT_DELAY_MS = { min: 500, max: 3000 } as const;

export function receiptDelay(random: () => number): number {
  return RECEIPT_DELAY_MS.min + Math.floor(random() * (RECEIPT_DELAY_MS.max - RECEIPT_DELAY_MS.min));
}

/**
 * New wake-up slots are registered at a random time, not when the message was read: up to
 * WAKE_SEND_MAX_MS later, and always at least WAKE_LEAD_MS before the earliest new slot (so it reaches
 * the relay in time; a slot nearer than that is registered at once).
 */
export const WAKE_SEND_MAX_MS = 5 * 60_000;
export const WAKE_LEAD_MS = 60_000;

/**
 * The same within a service-worker wake, which the browser ends seconds after its work: a timer set for
 * later never fires there, so the registration is awaited within the wake (docs/timers.md).
 */
export const WAKE_SEND_BACKGROUND_MAX_MS = 10_000;

/** When to send registrations whose earliest slot is `slot`, drawn uniformly in [now, min(now + max, slot − lead)]. */
export function wakeSendAt(now: number, slot: number, random: () => number, max = WAKE_SEND_MAX_MS): number {
  const latest = Math.min(now + max, slot - WAKE_LEAD_MS);
  if (latest <= now) return now;
  return now + Math.floor(random() * (latest - now));
}
