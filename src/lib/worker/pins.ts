/**
 * Pinned messages inside a chat (Telegram's pinned bar). A cloud chat's pins are shared by both
 * members through the relay: each `pin` update carries the chat's pins as they are, and this device
 * keeps them on the chat row (./cloud-sync.ts). A secret chat's are agreed by the two devices
 * (./secret/pin.ts) and kept on its row here only. Either way the row holds ids and times only; the
 * bar's snippets are read from the sealed messages when asked for, and a pin whose message is no
 * longer here (deleted, expired, deleted for me) is not shown: it went with its message.
 */
import { z } from '$lib/api/zod';
import { LIMITS } from '$lib/api/limits';
import { quoteSnippet, timedMedia } from '$lib/api/quote-snippet';
import type { CinderDB, MessageRow, PinnedRef, SecretMessageRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import type { Body } from './cloud';
import type { PinnedView } from './protocol';
import type { SecretBody } from './secret/payload';

/** Why a pin is refused on this device: the chat has LIMITS.pinnedMessagesMax already (a cloud or a secret chat). */
export const PINS_FULL = `Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat`;

/**
 * Pins a row keeps at most: above LIMITS.pinnedMessagesMax, so the peer's pins past it (two pins at
 * once, a later version's limit) still agree on both sides, yet bounded against a hostile peer.
 */
export const PINS_STORED_MAX = 100;

const Stored = z.array(z.object({ id: z.string().check(z.minLength(1), z.maxLength(64)), at: z.number() })).check(z.maxLength(PINS_STORED_MAX));

/** A row's pins as stored, checked like anything read back from storage: malformed ones count as none. */
export function storedPins(row: { pins?: unknown } | undefined): PinnedRef[] {
  const parsed = Stored.safeParse(row?.pins ?? []);
  return parsed.success ? parsed.data : [];
}

/** `row` with these pins (newest first, at most PINS_STORED_MAX); none: the field removed. */
export function withPins<R extends { pins?: PinnedRef[] }>(row: R, pins: readonly PinnedRef[]): R {
  const out = { ...row };
  const sorted = [...pins].sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : 1)).slice(0, PINS_STORED_MAX);
  if (sorted.length) out.pins = sorted.map(({ id, at }) => ({ id, at }));
  else delete out.pins;
  return out;
}

/** `row` without the pins of these messages (deleted ones); the row itself when it had none of them. */
export function withoutPins<R extends { pins?: PinnedRef[] }>(row: R, ids: Iterable<string>): R {
  const gone = new Set(ids);
  const pins = storedPins(row);
  return pins.some((p) => gone.has(p.id))
    ? withPins(
        row,
        pins.filter((p) => !gone.has(p.id))
      )
    : row;
}

/** `row` with message `id` pinned at `at`, or unpinned (`at` null); its other pins as they were. */
export function withPinned<R extends { pins?: PinnedRef[] }>(row: R, id: string, at: number | null): R {
  const others = storedPins(row).filter((p) => p.id !== id);
  return withPins(row, at === null ? others : [{ id, at }, ...others]);
}

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
