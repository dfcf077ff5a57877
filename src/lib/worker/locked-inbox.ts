/**
 * Secret envelopes the service worker kept, still encrypted, because it could not open the vault
 * (background.ts, holdWhileLocked): the key is behind a passcode, so no service worker holds it, even
 * while a tab has it unlocked. A worker holding the key receives them in queue order, then drops them:
 * after an unlock, and whenever the service worker says it woke (a push while a tab is open but not
 * in front).
 */
import { Envelope } from '$lib/api/wire';
import type { CinderDB } from '$lib/store/db';
import type { SecretEngine } from './secret';

/** Receives what is held with a worker holding the key (the engine is only built when there is some). */
export async function receiveHeld(db: CinderDB, engine: () => Promise<SecretEngine>): Promise<number> {
  if (!(await db.lockedInbox.count())) return 0;
  return (await engine()).receiveHeld();
}

/**
 * Envelopes parked for a newer version of the app wait (secret/parked.ts): the relay's hello then
 * pulls even with nothing queued there, so an updated app shows them at once (a pull takes them first).
 */
export const parkedWaiting = async (db: CinderDB): Promise<boolean> => (await db.parkedEnvelopes.count()) > 0;

/**
 * The held envelopes, in queue order, through `receiveUpTo` (a receive run that answers the seq up
 * to which it handled them); those handled are dropped. `left`: held ones still waiting. They were
 * acknowledged to the relay when held, so these rows are the only copy: a run that stops short (an
 * outage while claiming a chat request, say) leaves the rest for the next run.
 */
export async function takeHeld(db: CinderDB, receiveUpTo: (envelopes: Envelope[]) => Promise<number>): Promise<{ handled: number; left: number }> {
  const held = await db.lockedInbox.orderBy('seq').toArray();
  if (!held.length) return { handled: 0, left: 0 };
  const envelopes: Envelope[] = [];
  const gone: string[] = [];
  for (const h of held) {
    const parsed = Envelope.safeParse(h.envelope);
    if (parsed.success) envelopes.push(parsed.data);
    else {
      // Stored by our own service worker from a checked relay response: a row that no longer parses is dropped, not retried forever.
      console.warn('cinder: a held envelope is malformed and was dropped', h.id);
      gone.push(h.id);
    }
  }
  const upTo = envelopes.length ? await receiveUpTo(envelopes) : 0;
  const handled = envelopes.filter((e) => e.seq <= upTo);
  await db.lockedInbox.bulkDelete([...gone, ...handled.map((e) => e.id)]);
  return { handled: handled.length, left: envelopes.length - handled.length };
}
