/**
 * A chat's own settings: pinned to the top of the list, notifications muted until a time, archived (out
 * of the main list), marked as unread (./unread-mark.ts). A cloud chat's are mine on every device (the relay's `settings` update,
 * ./cloud-sync.ts); a secret chat's stay on this device, on its row, and go with it. All are stored as
 * absent fields when off (never null, never false), not indexed. A cloud chat's that come before its row
 * exists here are kept until it is made (`keptSettingsKey`).
 */
import { ChatSettings } from '$lib/api/wire';
import { LIMITS } from '$lib/api/limits';
import type { ChatRow, CinderDB, SecretChatRow } from '$lib/store/db';
import type { Notice } from './background';
import { withLock } from './locks';
import type { ChatView } from './protocol';
import { CoreError } from './rpc/context';

type Settings = Pick<ChatRow, 'pinnedAt' | 'mutedUntil' | 'archived' | 'markedUnread'>;

/** Muted at `now`: a mute with a duration ends by itself. */
export const isMuted = (row: Settings | undefined, now: number): boolean => (row?.mutedUntil ?? 0) > now;

/** A chat row's pin, mute, archive and unread mark as the list sees them (absent when off). */
export const settingsView = (row: Settings): Pick<ChatView, 'pinnedAt' | 'mutedUntil' | 'archived' | 'markedUnread'> => ({
  ...(row.pinnedAt !== undefined ? { pinnedAt: row.pinnedAt } : {}),
  ...(row.mutedUntil !== undefined ? { mutedUntil: row.mutedUntil } : {}),
  ...(row.archived === true ? { archived: true as const } : {}),
  ...(row.markedUnread === true ? { markedUnread: true as const } : {})
});

/** A row's settings in the relay's shape (what a change starts from). */
export const currentSettings = (row: Settings): Required<ChatSettings> => ({
  pinnedAt: row.pinnedAt ?? null,
  mutedUntil: row.mutedUntil ?? null,
  archived: row.archived === true,
  markedUnread: row.markedUnread === true
});

/** `row` with the relay's settings (null, false or absent `archived` or `markedUnread`: the field removed). */
export function withSettings<R extends Settings>(row: R, s: ChatSettings): R {
  const out = { ...row };
  if (s.pinnedAt === null) delete out.pinnedAt;
  else out.pinnedAt = s.pinnedAt;
  if (s.mutedUntil === null) delete out.mutedUntil;
  else out.mutedUntil = s.mutedUntil;
  if (s.archived === true) out.archived = true;
  else delete out.archived;
  if (s.markedUnread === true) out.markedUnread = true;
  else delete out.markedUnread;
  return out;
}

/**
 * A secret chat row after the peer's new message at `now`: taken out of the archive unless muted then
 * (Telegram's rule; the relay applies the same one to cloud chats). The row itself when nothing changes.
 */
export function unarchivedByMessage<R extends Settings>(row: R, now: number): R {
  if (row.archived !== true || isMuted(row, now)) return row;
  const out = { ...row };
  delete out.archived;
  return out;
}

/** Refuses one more pin past LIMITS.pinnedMax (cloud and secret chats together on this device). */
export async function checkPinRoom(db: CinderDB, kind: 'cloud' | 'secret', id: string): Promise<void> {
  const [cloud, secret] = await Promise.all([db.chats.toArray(), db.secretChats.toArray()]);
  const pinned = [...cloud.map((c) => ['cloud', c.peerId, c] as const), ...secret.map((c) => ['secret', c.id, c] as const)].filter(
    ([k, i, c]) => c.pinnedAt !== undefined && !(k === kind && i === id)
  );
  if (pinned.length >= LIMITS.pinnedMax) throw new CoreError('too_many_pinned', `Unpin a chat first: up to ${LIMITS.pinnedMax}`);
}

/**
 * `meta` key of the settings of a cloud chat with no row here yet: another device of mine pinned or
 * muted it before this one stored any of it (say its messages were all deleted, or none came yet).
 * Kept, newest wins, until the chat's row is made (`withKeptSettings`), then dropped. In clear, as the
 * chat rows' own settings are.
 */
export const keptSettingsKey = (peerId: string) => `settings:${peerId}`;

/** A kept `meta` value as settings; null for none, or for one not of that shape (storage is checked too). */
export function keptSettings(value: unknown): ChatSettings | null {
  const parsed = ChatSettings.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** A chat row made just now, with the settings kept for it (`kept`: the `meta` value, if any). */
export const withKeptSettings = <R extends Settings>(row: R, kept: unknown): R => {
  const s = keptSettings(kept);
  return s ? withSettings(row, s) : row;
};

/** Stores a cloud chat's settings as the relay answered them: on its row, or kept until there is one. */
export async function storeCloudSettings(db: CinderDB, peerId: string, s: ChatSettings): Promise<void> {
  await db.transaction('rw', [db.chats, db.meta], async () => {
    const row = await db.chats.get(peerId);
    if (row) await db.chats.put(withSettings(row, s));
    else await db.meta.put({ key: keptSettingsKey(peerId), value: s });
  });
}

/**
 * Changes a secret chat's settings under the chat's lock: the engine writes its whole row back after
 * each step, so a change made beside one would be lost.
 */
export async function changeSecretSettings(db: CinderDB, id: string, change: (row: SecretChatRow) => ChatSettings): Promise<void> {
  await withLock(`cinder-secret-${id}`, () =>
    // Read and written in one transaction: the purge, which takes no chat lock, changes the row's pins.
    db.transaction('rw', db.secretChats, async () => {
      const row = await db.secretChats.get(id);
      if (!row) throw new CoreError('not_found', 'This secret chat does not exist on this device');
      await db.secretChats.put(withSettings(row, change(row)));
    })
  );
}

/** A wake's notices without those of chats muted at `now` (a notice names its chat, `chat`). */
export async function unmutedNotices(db: CinderDB, notices: Notice[], now: number): Promise<Notice[]> {
  const out: Notice[] = [];
  for (const n of notices) {
    const row = !n.chat ? undefined : n.chat.kind === 'cloud' ? await db.chats.get(n.chat.id) : await db.secretChats.get(n.chat.id);
    if (!isMuted(row, now)) out.push(n);
  }
  return out;
}
