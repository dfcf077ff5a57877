/**
 * Wake-up times the relay can learn little from (issue #20 §2). A device asks the relay to wake it
 * (a content-free Web Push) so a timed message is deleted while Cinder is closed. Asking for the exact
 * deadline would tell the relay read time + timer to the millisecond, and two devices of one chat would
 * ask for the same instant. Instead each device rounds every deadline **up** to its own grid of slots,
 * WAKE_SLOT_MS apart and shifted by a random phase of its own, and asks for each slot once: the relay
 * learns only that something of this device expires in the slot before a wake-up, the two devices of a
 * chat ask for unrelated times, and many timers ending in one slot cost one registration. The exact
 * deletion still happens on the device: at the deadline while Cinder runs, and at the slot's wake-up
 * (at most WAKE_SLOT_MS late) while it is closed (docs/timers.md). Pure; the engine keeps phase and slots.
 */

/** The grid's step: how coarsely the relay sees a deadline, and how late a closed app may delete. */
export const WAKE_SLOT_MS = 10 * 60_000;

/** The first slot at or after `deadline` on the grid `phase + k·slotMs`. */
export function wakeSlot(deadline: number, phase: number, slotMs = WAKE_SLOT_MS): number {
  return phase + Math.ceil((deadline - phase) / slotMs) * slotMs;
}

/** A device's random phase in [0, slotMs), whole milliseconds. */
export function newWakePhase(random: () => number = Math.random, slotMs = WAKE_SLOT_MS): number {
  return Math.min(slotMs - 1, Math.floor(random() * slotMs));
}

/**
 * The slots to register for `deadlines`: each deadline's slot, once, leaving out slots already
 * registered and slots past `horizon` (the relay keeps wake-ups for 8 days; later deadlines are purged
 * at a later start). Sorted.
 */
export function slotsToRegister(deadlines: readonly number[], phase: number, registered: ReadonlySet<number>, horizon: number, slotMs = WAKE_SLOT_MS): number[] {
  const out = new Set<number>();
  for (const d of deadlines) {
    const slot = wakeSlot(d, phase, slotMs);
    if (slot <= horizon && !registered.has(slot)) out.add(slot);
  }
  return [...out].sort((a, b) => a - b);
}
