/**
 * Pinned messages inside a chat (Telegram's pinned bar). A cloud chat's pins are shared by both
 * members through the relay: each `pin` update carries the chat's pins as they are, and this device
 * keeps them on the chat row (./cloud-sync.ts). A secret chat's are agreed by the two devices
 * (./secret/pin.ts) and kept on its row here only. Either way the row holds ids and times only; the
 * bar's snippets are read from the sealed messages when asked for. A pin goes with its message, in the
 * transaction that deletes it (a delete, a clear, the self-destruct purge: $lib/store/pin-refs.ts); one
 * whose message is not here all the same (a cloud chat's message never stored here) is not shown.
 */
import { LIMITS } from '$lib/api/limits';
import { quoteSnippet, timedMedia } from '$lib/api/quote-snippet';
import type { CinderDB, MessageRow, PinnedRef, SecretMessageRow } from '$lib/store/db';
import { storedPins } from '$lib/store/pin-refs';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import type { Body } from './cloud';
import type { PinnedView } from './protocol';
import type { SecretBody } from './secret/payload';

// The row's pins as stored (checked, changed), shared with the purge and the secret commit.
export { PINS_STORED_MAX, storedPins, withoutPins, withPinned, withPins } from '$lib/store/pin-refs';

/** Why a pin is refused on this device: the chat has LIMITS.pinnedMessagesMax already (a cloud or a secret chat). */
export const PINS_FULL = `Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat`;

/** A cloud chat's pins whose messages are stored here (sent, not only queued), with those rows. */
async function cloudPinRows(db: CinderDB, peerId: string): Promise<{ pin: PinnedRef; row: MessageRow }[]> {
  const pins = storedPins(await db.chats.get(peerId));
  const rows = await db.messages.bulkGet(pins.map((p) => p.id));
  return pins.flatMap((pin, i) => {
    const row = rows[i];
    return row?.peerId === peerId && row.seq > 0 ? [{ pin, row }] : [];
  });
}

/** The ids of the pins `cloudPinned` shows, read without opening a message (what the limit counts). */
export const cloudPinnedIds = async (db: CinderDB, peerId: string): Promise<string[]> => (await cloudPinRows(db, peerId)).map(({ pin }) => pin.id);

/** A cloud chat's pins whose messages are stored here (sent, not only queued), with their snippets. */
export async function cloudPinned(db: CinderDB, vault: Vault, peerId: string): Promise<PinnedView[]> {
  const out: PinnedView[] = [];
  for (const { pin, row } of await cloudPinRows(db, peerId)) {
    const body = await vault.open<Body>(places.message(row.id), row.box);
    out.push({ id: pin.id, at: pin.at, snippet: quoteSnippet(body, body.media, timedMedia(body.media)) });
  }
  return out;
}

/** A secret chat's message as a pin sees it: its row and body, when it is a message of this chat shown as one. */
export async function secretPinnable(db: CinderDB, vault: Vault, chatId: string, id: string): Promise<{ row: SecretMessageRow; body: SecretBody } | null> {
  const row = await db.secretMessages.get(id);
  if (row?.chatId !== chatId) return null;
  const body = await vault.open<SecretBody>(places.secretMessage(row.id), row.box);
  return body.kind === 'text' ? { row, body } : null;
}

/** A secret chat's pins whose messages are still here, with their snippets (a timed one by its kind only). */
export async function secretPinned(db: CinderDB, vault: Vault, chatId: string): Promise<PinnedView[]> {
  const pins = storedPins(await db.secretChats.get(chatId));
  const out: PinnedView[] = [];
  for (const p of pins) {
    const m = await secretPinnable(db, vault, chatId, p.id);
    if (m) out.push({ id: p.id, at: p.at, snippet: quoteSnippet(m.body, m.body.file, m.body.ttl > 0) });
  }
  return out;
}
