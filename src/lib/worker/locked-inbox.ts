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

export async function receiveHeld(db: CinderDB, engine: () => Promise<SecretEngine>): Promise<number> {
  const held = await db.lockedInbox.orderBy('seq').toArray();
  if (!held.length) return 0;
  const envelopes: Envelope[] = [];
  for (const h of held) {
    const parsed = Envelope.safeParse(h.envelope);
    // Stored by our own service worker from a checked relay response: a row that no longer parses is dropped, not retried forever.
    if (parsed.success) envelopes.push(parsed.data);
    else console.warn('cinder: a held envelope is malformed and was dropped', h.id);
  }
  if (envelopes.length) await (await engine()).receive(envelopes);
  await db.lockedInbox.bulkDelete(held.map((h) => h.id));
  return envelopes.length;
}
