/**
 * Row mapping (database row → domain type), shared by both backends: their tables have the same
 * columns. Numbers go through `num` (PostgreSQL's BIGINT arrives as a number through the pool's type
 * parser, SQLite's INTEGER as a number already) and flags through `flag` (SQLite stores 0/1, PostgreSQL
 * a BOOLEAN). `p` is a column prefix for joined rows (e.g. 'd_' for `d.id AS d_id`).
 */
import type {
  BlobRow,
  BlockRow,
  ChatRow,
  ChatSettingsChange,
  ChatSettingsRow,
  CloudMediaRow,
  DeviceRow,
  DueMediaRow,
  EnvelopeRow,
  MailboxRow,
  MessageRow,
  PushSubscriptionRow,
  ReactionRow,
  PinRow,
  SecretRequestRow,
  ScheduledRow,
  UpdateKind,
  UpdateRow,
  UserRow,
  WakeupRow
} from './types';

export type Row = Record<string, unknown>;

/** A number column (0 for NULL, which only aggregates such as max() return). */
export const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown) => (v == null ? null : num(v));
/** A boolean column: SQLite's 0/1 or PostgreSQL's BOOLEAN. */
export const flag = (v: unknown) => v === true || (typeof v === 'number' && v !== 0);
const strOrNull = (v: unknown) => (v as string | null | undefined) ?? null;

export const toUser = (r: Row): UserRow => ({
  id: r.id as string,
  username: r.username as string,
  displayName: r.display_name as string,
  pwHash: r.pw_hash as string,
  createdAt: num(r.created_at),
  // Only on a deleted account's tombstone, so a live user's row is the same as before migration 7.
  ...(r.deleted_at != null ? { deletedAt: num(r.deleted_at) } : {}),
  ...(r.photo != null ? { photo: num(r.photo) } : {}),
  ...(r.last_seen_at != null ? { lastSeenAt: num(r.last_seen_at) } : {}),
  ...(r.last_seen_privacy != null && r.last_seen_privacy !== 'chats' ? { lastSeenPrivacy: r.last_seen_privacy as 'everybody' | 'nobody' } : {})
});

export const toDevice = (r: Row, p = ''): DeviceRow => ({
  id: r[p + 'id'] as string,
  userId: r[p + 'user_id'] as string,
  name: r[p + 'name'] as string,
  signPub: r[p + 'sign_pub'] as string,
  dhPub: r[p + 'dh_pub'] as string,
  createdAt: num(r[p + 'created_at']),
  lastSeenAt: num(r[p + 'last_seen_at']),
  revokedAt: numOrNull(r[p + 'revoked_at']),
  // 1 also for a row read without the column (it has a NOT NULL default since migration 8).
  protocol: num(r[p + 'protocol']) || 1
});

export const toChat = (r: Row, p = ''): ChatRow => ({
  id: num(r[p + 'id']),
  userA: r[p + 'user_a'] as string,
  userB: r[p + 'user_b'] as string,
  nextSeq: num(r[p + 'next_seq'])
});

export const toMessage = (r: Row, p = ''): MessageRow => ({
  chatId: num(r[p + 'chat_id']),
  seq: num(r[p + 'seq']),
  id: r[p + 'id'] as string,
  senderId: r[p + 'sender_id'] as string,
  senderDeviceId: r[p + 'sender_device_id'] as string,
  body: r[p + 'body'] as Buffer,
  createdAt: num(r[p + 'created_at']),
  deleted: flag(r[p + 'deleted']),
  editedAt: numOrNull(r[p + 'edited_at'])
});

export const toReaction = (r: Row): ReactionRow => ({
  messageId: r.message_id as string,
  userId: r.user_id as string,
  emoji: r.emoji as Buffer,
  at: num(r.at)
});

export const toPin = (r: Row): PinRow => ({
  chatId: num(r.chat_id),
  messageId: r.message_id as string,
  pinnedBy: r.pinned_by as string,
  at: num(r.at)
});

export const toScheduled = (r: Row): ScheduledRow => ({
  id: r.id as string,
  chatId: num(r.chat_id),
  senderId: r.sender_id as string,
  recipientId: r.recipient_id as string,
  senderDeviceId: r.sender_device_id as string,
  body: r.body as Buffer,
  at: num(r.at),
  createdAt: num(r.created_at),
  version: num(r.version),
  failed: (r.failed as string | null) ?? null
});

/** A block joined with the blocked user's row (`u.*` and `b.at AS blocked_at`). */
export const toBlock = (r: Row): BlockRow => ({ user: toUser(r), at: num(r.blocked_at) });

export const toEnvelope = (r: Row): EnvelopeRow => ({
  seq: num(r.seq),
  id: r.id as string,
  toDeviceId: r.to_device_id as string,
  fromDeviceId: strOrNull(r.from_device_id),
  fromUserId: strOrNull(r.from_user_id),
  body: r.body as Buffer,
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
  requestId: strOrNull(r.request_id),
  // Only on a relay notice (migration 7), so a client envelope's row is the same as before.
  ...(r.notice === 'account_deleted' ? { notice: 'account_deleted' as const } : {}),
  // Only on a sealed envelope (migration 8), likewise.
  ...(r.mailbox != null ? { mailbox: r.mailbox as string } : {})
});

/**
 * Whether a stored envelope is a repeat of `e` (same recipient and id already matched): the same sender
 * device, request and mailbox. Anything else reusing the id is an id conflict.
 */
export const sameEnvelopeOrigin = (stored: EnvelopeRow, e: Omit<EnvelopeRow, 'seq'>) =>
  stored.fromDeviceId === e.fromDeviceId && stored.requestId === e.requestId && (stored.mailbox ?? null) === (e.mailbox ?? null);

export const toSecretRequest = (r: Row): SecretRequestRow => ({
  id: r.id as string,
  fromDeviceId: r.from_device_id as string,
  toUserId: r.to_user_id as string,
  claimedByDeviceId: strOrNull(r.claimed_by_device_id),
  withdrawn: flag(r.withdrawn),
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at)
});

export const toBlob = (r: Row): BlobRow => ({
  id: r.id as string,
  ownerDeviceId: strOrNull(r.owner_device_id),
  ownerUserId: strOrNull(r.owner_user_id),
  toDeviceId: r.to_device_id as string,
  size: num(r.size),
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at)
});

export const toMailbox = (r: Row): MailboxRow => ({
  id: r.id as string,
  deviceId: r.device_id as string,
  cap: r.cap as Buffer,
  expiresAt: num(r.expires_at)
});

export const toPushSub = (r: Row): PushSubscriptionRow => ({
  deviceId: r.device_id as string,
  endpoint: r.endpoint as string,
  p256dh: r.p256dh as string,
  auth: r.auth as string,
  createdAt: num(r.created_at)
});

export const toCloudMedia = (r: Row): CloudMediaRow => ({
  id: r.id as string,
  ownerUserId: r.owner_user_id as string,
  ownerDeviceId: r.owner_device_id as string,
  toUserId: r.to_user_id as string,
  meta: r.meta as Buffer,
  size: num(r.size),
  createdAt: num(r.created_at),
  messageId: strOrNull(r.message_id),
  ttl: num(r.ttl),
  openedAt: numOrNull(r.opened_at),
  deadline: numOrNull(r.deadline)
});

export const toDueMedia = (r: Row): DueMediaRow => ({
  id: r.id as string,
  messageId: strOrNull(r.message_id),
  deadline: num(r.deadline)
});

export const toWakeup = (r: Row): WakeupRow => ({ id: num(r.id), deviceId: r.device_id as string, at: num(r.at) });

/** An update-log row joined as `u_*` (user_updates), `c_*` (cloud_chats) and `m_*` (cloud_messages, LEFT JOIN). */
export const toUpdate = (r: Row): UpdateRow => ({
  cursor: num(r.u_cursor),
  kind: r.u_kind as UpdateKind,
  data: r.u_data as string,
  chat: toChat(r, 'c_'),
  message: r.m_id == null ? null : toMessage(r, 'm_')
});

/** Members of a chat, sorted, as stored (user_a <= user_b). */
export const pair = (x: string, y: string): [string, string] => (x <= y ? [x, y] : [y, x]);
export const members = (c: ChatRow): string[] => (c.userA === c.userB ? [c.userA] : [c.userA, c.userB]);

/** A user's chat settings from `pinned_at`/`muted_until`/`archived`/`marked_unread` columns (none stored: none of them). */
export const toSettings = (r: Row | undefined): ChatSettingsRow => ({
  pinnedAt: numOrNull(r?.pinned_at),
  mutedUntil: numOrNull(r?.muted_until),
  archived: flag(r?.archived),
  markedUnread: flag(r?.marked_unread)
});

export const sameSettings = (a: ChatSettingsRow, b: ChatSettingsRow) =>
  a.pinnedAt === b.pinnedAt && a.mutedUntil === b.mutedUntil && a.archived === b.archived && a.markedUnread === b.markedUnread;

/**
 * The recipient's settings after a new message at `at`, when it changes them: an archived chat not
 * muted then leaves the archive (Telegram's rule); null otherwise (a muted one stays archived).
 */
export const unarchivedBy = (old: ChatSettingsRow, at: number): ChatSettingsRow | null =>
  old.archived && (old.mutedUntil ?? 0) <= at ? { ...old, archived: false } : null;

/**
 * Whether `next` brings a pin into a list (the main one or the archive, each with up to
 * LIMITS.pinnedMax pins, as Telegram) it was not pinned in: a new pin, or a pinned chat moved.
 */
export const pinEnters = (old: ChatSettingsRow, next: ChatSettingsRow): boolean => next.pinnedAt !== null && (old.pinnedAt === null || old.archived !== next.archived);

/**
 * `next` given `others` pinned chats already in its list: as it is with room; else a new pin is
 * refused, and a pinned chat moved into a full list arrives unpinned.
 */
export const withPinRoom = (old: ChatSettingsRow, next: ChatSettingsRow, others: number, max: number): ChatSettingsRow | 'too_many_pinned' =>
  others < max ? next : old.pinnedAt === null ? 'too_many_pinned' : { ...next, pinnedAt: null };

/** The settings after `change` at time `at`: a pin keeps an earlier pin's time (the list's order stays). */
export const changeSettings = (old: ChatSettingsRow, change: ChatSettingsChange, at: number): ChatSettingsRow => ({
  pinnedAt: change.pinned === undefined ? old.pinnedAt : change.pinned ? (old.pinnedAt ?? at) : null,
  mutedUntil: change.mutedUntil === undefined ? old.mutedUntil : change.mutedUntil,
  archived: change.archived ?? old.archived,
  markedUnread: change.markedUnread ?? old.markedUnread
});
