/**
 * The rows, inputs and results of the storage contract (./types.ts): what a backend reads and writes,
 * as plain data. Bodies are opaque (sealed) bytes here too.
 */

export interface UserRow {
  id: string;
  /** Lowercased; unique. */
  username: string;
  displayName: string;
  pwHash: string;
  createdAt: number;
  /** Set once the account is deleted (the row stays as a tombstone so peers' chats keep their other side). */
  deletedAt?: number | null;
  /** The profile photo's version (migration 18); absent or null: none. */
  photo?: number | null;
  /** When the user's last socket closed or first one opened (ms, migration 19); absent: never since. */
  lastSeenAt?: number | null;
  /** Who sees `lastSeenAt` (migration 19); absent: 'chats', the default. */
  lastSeenPrivacy?: 'everybody' | 'chats' | 'nobody';
}

/** A profile photo: its version, its type (image/jpeg or image/webp) and its bytes, sealed at rest. */
export interface PhotoRow {
  version: number;
  type: string;
  body: Buffer;
}

export interface DeviceRow {
  id: string;
  userId: string;
  name: string;
  signPub: string;
  dhPub: string;
  createdAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
  /** Highest secret-chat protocol version the device said it speaks (1 until it says otherwise; migration 8). */
  protocol: number;
}

export interface NewDevice {
  id: string;
  userId: string;
  name: string;
  signPub: string;
  dhPub: string;
  /** SHA-256 of the session token (hex); the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
}

export interface ChatRow {
  id: number;
  /** The two members, ordered so that userA <= userB (equal for a chat with oneself). */
  userA: string;
  userB: string;
  /** The seq the next message will get. */
  nextSeq: number;
}

export interface MessageRow {
  chatId: number;
  seq: number;
  /** Client-minted UUID. */
  id: string;
  senderId: string;
  senderDeviceId: string;
  /** Sealed at rest; empty once deleted. */
  body: Buffer;
  createdAt: number;
  deleted: boolean;
  /** When its author last edited it (null: never). */
  editedAt: number | null;
}

export type UpdateKind = 'message' | 'read' | 'delete' | 'edit' | 'react' | 'settings' | 'pin' | 'clear' | 'scheduled' | 'profile';

/** A message pinned in a cloud chat (shared by both members; SQLite/PG migration 12). */
export interface PinRow {
  chatId: number;
  messageId: string;
  /** The member who pinned it (their pins go with their account). */
  pinnedBy: string;
  at: number;
}

/** A user another one blocked (migration 13), with the blocked user's row as it is now. */
export interface BlockRow {
  user: UserRow;
  /** When it was blocked (a repeated block keeps the first time). */
  at: number;
}

/** One user's reaction to a cloud message (one per message and user). */
export interface ReactionRow {
  messageId: string;
  userId: string;
  /** The emoji, sealed at rest. */
  emoji: Buffer;
  at: number;
}

/** One appended update-log row, as reported to the caller that caused it (for live fan-out). */
export interface AppendedUpdate {
  userId: string;
  cursor: number;
  /**
   * The user's previous cursor (0 for the first row). Cursors are global, so a device cannot tell a
   * gap from them alone; a live update carries this so the device applies it only when it directly
   * follows what it holds, and pulls otherwise (live frames can arrive out of order across requests
   * and nodes, or after a reconnect whose pull read the log before the new socket subscribed).
   */
  prev: number;
}

/** An update-log row joined with what it needs to be turned into a wire `Update`. */
export interface UpdateRow {
  cursor: number;
  kind: UpdateKind;
  chat: ChatRow;
  /**
   * message, edit, react: the message id; read: JSON {readerId, seq}; delete: JSON string[] of ids;
   * settings: JSON ChatSettingsRow (the user's settings as they were set); pin: the message id pinned
   * or unpinned (the update carries the chat's pins as they are when it is served); profile: the user
   * whose profile changed (the update carries it as it is when served).
   */
  data: string;
  /** For kinds 'message', 'edit' and 'react': the message, or null if it no longer exists. */
  message: MessageRow | null;
}

export interface SendMessageInput {
  id: string;
  senderId: string;
  senderDeviceId: string;
  recipientId: string;
  body: Buffer;
  createdAt: number;
  /**
   * The relay's time now (absent: `createdAt`): a new message takes the recipient's chat out of their
   * archive, in the same transaction, unless they have it muted at this time.
   */
  at?: number;
  /**
   * Attaches cloud media `id` (uploaded by `senderId` for `recipientId`, not yet attached to another
   * message) with a self-destruct timer of `ttl` seconds (0 = none), in the same transaction.
   */
  media?: { id: string; ttl: number };
  /**
   * A scheduled message falling due (../cloud-scheduled.ts): its row (of `senderId`, still at `version`)
   * is deleted in the same transaction, with a 'scheduled' update in the sender's log; when it is gone
   * or changed meanwhile (sent by another node, edited, deleted) nothing is stored: 'scheduled_gone'.
   */
  scheduled?: { id: string; version: number };
}

/** A message a user scheduled in a cloud chat (SQLite/PG migration 17): `body` sealed at rest like a message's. */
export interface ScheduledRow {
  id: string;
  chatId: number;
  senderId: string;
  /** The chat's other member (the sender again in Saved Messages). */
  recipientId: string;
  senderDeviceId: string;
  body: Buffer;
  at: number;
  createdAt: number;
  /** Bumped by every change: a send or a failure applies only to the version it read. */
  version: number;
  /** Why the relay could not send it when due (null: not failed). */
  failed: string | null;
}

export type SendMessageResult =
  | { ok: true; created: boolean; chat: ChatRow; message: MessageRow; updates: AppendedUpdate[] }
  /**
   * id_conflict: the id is already used by a message of another sender or chat.
   * media_unavailable: the media is unknown, not the sender's upload for this recipient, or attached elsewhere.
   */
  | { ok: false; reason: 'id_conflict' | 'media_unavailable' | 'scheduled_gone' };

export interface ChatSummaryRow {
  chat: ChatRow;
  peerId: string;
  lastMessage: MessageRow | null;
  myReadSeq: number;
  peerReadSeq: number;
  unread: number;
  /** The user's own settings of the chat. */
  pinnedAt: number | null;
  mutedUntil: number | null;
  archived: boolean;
  markedUnread: boolean;
  /** The user's own "cleared up to" seq (0: never cleared): lastMessage and unread count only later ones. */
  clearedSeq: number;
}

/** One user's own settings of a cloud chat (null: not pinned, not muted). */
export interface ChatSettingsRow {
  pinnedAt: number | null;
  mutedUntil: number | null;
  archived: boolean;
  /** Marked as unread by hand (an unread badge without a number until a device of theirs opens the chat). */
  markedUnread: boolean;
}

/** A change of ChatSettingsRow: `pinned` pins (an earlier pin keeps its time) or unpins; an absent field stays. */
export interface ChatSettingsChange {
  pinned?: boolean;
  mutedUntil?: number | null;
  archived?: boolean;
  markedUnread?: boolean;
}

export interface EnvelopeRow {
  seq: number;
  id: string;
  toDeviceId: string;
  /** The sender; both null on a sealed envelope (posted anonymously to a mailbox). */
  fromDeviceId: string | null;
  fromUserId: string | null;
  body: Buffer;
  createdAt: number;
  expiresAt: number;
  /** The secret-chat handshake request this envelope carries, if any. */
  requestId: string | null;
  /**
   * A notice the relay itself queued (never a client): 'account_deleted' tells the recipient that the
   * sender device's account is gone (its body is empty). Absent or null for every client envelope.
   */
  notice?: EnvelopeNotice | null;
  /** The mailbox a sealed envelope was posted to (migration 8); absent or null for every other envelope. */
  mailbox?: string | null;
}

export type EnvelopeNotice = 'account_deleted';

export type NewEnvelope = Omit<EnvelopeRow, 'seq'>;

/** For an envelope with a requestId: the user owning the recipient device (the request's target). */
export interface EnvelopeRequestCtx {
  toUserId: string;
}

export type PutEnvelopeResult =
  /**
   * prev (created only): what envelopeBefore(toDeviceId, seq) gives once this one is committed, taken by
   * the store along with the write so the live frame costs no extra query.
   */
  | { ok: true; created: boolean; envelope: EnvelopeRow; prev?: number }
  /**
   * id_conflict: the (recipient, id) pair is used by another sender, another request or another mailbox.
   * request_conflict: the requestId belongs to another sender device or another target user.
   * request_gone: the request was already claimed or withdrawn; no further request envelopes.
   */
  | { ok: false; reason: 'id_conflict' | 'request_conflict' | 'request_gone' };

export interface SecretRequestRow {
  id: string;
  fromDeviceId: string;
  toUserId: string;
  claimedByDeviceId: string | null;
  withdrawn: boolean;
  createdAt: number;
  expiresAt: number;
}

export type ClaimResult = 'claimed' | 'already' | 'conflict' | 'not_found' | 'gone';

export interface BlobRow {
  id: string;
  /** The uploader; both null for a sealed upload (through a mailbox token: the relay does not know it). */
  ownerDeviceId: string | null;
  ownerUserId: string | null;
  toDeviceId: string;
  size: number;
  createdAt: number;
  expiresAt: number;
}

/**
 * A sealed receive mailbox of a device (protocol version 2; migration 8). `cap` is the capability key
 * sealed with the at-rest key (the relay opens it to check a post's MAC); the store compares nothing in it.
 */
export interface MailboxRow {
  /** base64url of 16 bytes. */
  id: string;
  deviceId: string;
  cap: Buffer;
  expiresAt: number;
}

/**
 * ok with the ids not stored because another device holds them or with another capability key (the
 * rest are stored); or too_many when the device would hold more than its cap (nothing stored then).
 */
export type RegisterMailboxesResult = { ok: true; conflicts: string[] } | { ok: false; reason: 'too_many' };

/** A device's Web Push subscription (at most one per device; see ../push.ts). */
export interface PushSubscriptionRow {
  deviceId: string;
  /** The push service URL (https, validated on subscribe). */
  endpoint: string;
  /** base64url, as the browser gave them: P-256 public key (65 bytes) and auth secret (16 bytes). */
  p256dh: string;
  auth: string;
  createdAt: number;
}

/**
 * A cloud-chat attachment (../cloud-media.ts). The bytes are a file in DATA_DIR/media/<id>, sealed with
 * the at-rest key; `meta` is the sealed {mime, name}. Times and the timer are in clear (the scheduler
 * needs them), like wake-up times.
 */
export interface CloudMediaRow {
  id: string;
  ownerUserId: string;
  ownerDeviceId: string;
  /** The other member of the chat it is sent in (the only user besides the owner who may read it). */
  toUserId: string;
  meta: Buffer;
  /** Plaintext bytes. */
  size: number;
  createdAt: number;
  /** The cloud message carrying it, once sent; null while only uploaded. */
  messageId: string | null;
  /** Self-destruct timer (s), 0 = none; fixed when attached. */
  ttl: number;
  /** First opened by the recipient. */
  openedAt: number | null;
  /** openedAt + ttl when ttl > 0: the relay deletes the media and its message then. */
  deadline: number | null;
}

export type NewCloudMedia = Omit<CloudMediaRow, 'messageId' | 'ttl' | 'openedAt' | 'deadline'>;

/** A claimed due attachment (see Store.claimDueMedia). */
export interface DueMediaRow {
  id: string;
  messageId: string | null;
  deadline: number;
}

/** A wake-up time registered by a device (see ../wakeups.ts). The relay learns only the time. */
export interface WakeupRow {
  id: number;
  deviceId: string;
  /** ms since the epoch. */
  at: number;
}

/** One numbered schema change (./sqlite/migrations.ts, ./postgres/migrations.ts); never edited once applied. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class UniqueViolation extends Error {
  override name = 'UniqueViolation';
}

export type LoginAttempt = { ok: true } | { ok: false; nextAt: number };
