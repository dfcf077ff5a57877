/**
 * Asks the relay to wake this device near its timed messages' deadlines, as coarse slots of its own
 * (./wake-slots.ts). The device's phase and the slots it has asked for are kept in `meta`, so each slot
 * is asked for once; a slot the relay did not take is forgotten again, so a later deadline retries it.
 */
import type { CinderDB } from '$lib/store/db';
import type { SecretRelay } from './relay';
import { newWakePhase, slotsToRegister, WAKE_SLOT_MS } from './wake-slots';

/** The relay keeps a wake-up for at most 8 days; later deadlines are purged at a later start. */
const HORIZON_MS = 8 * 86400_000 - 60_000;
/** Times per `POST /api/wakeups`. */
const PER_CALL = 100;

const validPhase = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < WAKE_SLOT_MS;
const validSlots = (v: unknown): v is number[] => Array.isArray(v) && v.every((s) => typeof s === 'number' && Number.isFinite(s));

export async function registerWakeups(db: CinderDB, relay: SecretRelay, deadlines: readonly number[], now = Date.now()): Promise<void> {
  const pending = deadlines.filter((d) => d > now);
  if (!pending.length) return;
  const fresh = await db.transaction('rw', db.meta, async () => {
    const stored = (await db.meta.get('wakePhase'))?.value;
    const phase = validPhase(stored) ? stored : newWakePhase();
    if (phase !== stored) await db.meta.put({ key: 'wakePhase', value: phase });
    const kept = (await db.meta.get('wakeSlots'))?.value;
    const known = (validSlots(kept) ? kept : []).filter((s) => s > now);
    const add = slotsToRegister(pending, phase, new Set(known), now + HORIZON_MS);
    if (add.length) await db.meta.put({ key: 'wakeSlots', value: [...known, ...add] });
    return add;
  });
  for (let i = 0; i < fresh.length; i += PER_CALL) {
    const part = fresh.slice(i, i + PER_CALL);
    try {
      await relay.wakeAt(part);
    } catch {
      await forget(db, part);
    }
  }
}

async function forget(db: CinderDB, slots: number[]): Promise<void> {
  const gone = new Set(slots);
  await db.transaction('rw', db.meta, async () => {
    const kept = (await db.meta.get('wakeSlots'))?.value;
    if (validSlots(kept)) await db.meta.put({ key: 'wakeSlots', value: kept.filter((s) => !gone.has(s)) });
  });
}
