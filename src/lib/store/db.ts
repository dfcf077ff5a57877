/**
 * The device's local database (Dexie over IndexedDB). Only the worker and the service worker open it.
 * Anything secret — message text, previews, private keys — is stored sealed by the vault
 * (`box` fields); what stays in clear is what indexes need (ids, sequence numbers, times) and
 * public profile data.
 */
import { Dexie, type EntityTable, type Table } from 'dexie';
import { lockTransactions, openLocked } from './tx-locks';
import { dropIndexedNulls } from './upgrade-nulls';
import { countStoredUnread } from './upgrade-unread';
import { seenInBatches } from './upgrade-seen-batches';
import { seenWithSeq } from './upgrade-seen-seq';
import { markSecretUnread } from './upgrade-secret-unread';
import { pinTrustPerUser } from './upgrade-trust-pins';
import { createVaultKey, newKeyId, Vault } from './vault';
import { guardSealedWrites } from './vault-guard';

export const DB_NAME = 'cinder';

/** The vault key: either a non-extractable CryptoKey, or (passcode lock) only its AES-KW wrapping. */
export interface VaultRow {
  id: 'main';
  key?: CryptoKey;
  wrapped?: Uint8Array;
  salt?: Uint8Array;
  iterations?: number;
  /** Which key this is (not secret; see vault.ts). Absent on a key stored before key ids: LEGACY_KEY_ID. */
  keyId?: Uint8Array;
}

/** Relay envelopes that arrived while the app was locked: kept as the relay sent them (ciphertext). */
export interface LockedInboxRow {
  id: string;
  seq: number;
  envelope: unknown;
  at: number;
}

/**
 * Relay envelopes of a secret chat whose state a newer version of Cinder wrote (worker/secret/parked.ts):
 * kept as the relay sent them (ciphertext), acknowledged, until a version that reads the state takes them.
 */
export interface ParkedEnvelopeRow {
  id: string;
  seq: number;
  chatId: string;
  envelope: unknown;
  at: number;
  /** New each time the row is written: a take drops only rows it read, not one parked again meanwhile. */
  token: string;
}

/** Plain key/value settings that are not secret (session identity, sync cursor). */
export interface MetaRow {
  key: string;
  value: unknown;
}

/** Sealed key/value: device private keys and other secrets. */
export interface SecretRow {
  key: string;
  box: Uint8Array;
}

export interface PeerProfile {
  id: string;
  username: string;
  displayName: string;
  /** The account was deleted (the relay's placeholder profile). */
  deleted?: true;
  /** The profile photo's version (`photos` holds its bytes once fetched); null or absent: none. */
  photo?: number | null;
}

/**
 * A person's profile photo as the relay served it (../worker/photos.ts), one version per user: a new
 * version replaces it. In clear: the relay shows it to any signed-in user, and avatars show while locked.
 */
export interface PhotoCacheRow {
  userId: string;
  version: number;
  type: string;
  bytes: Uint8Array;
}

/**
 * Previews are derived from `messages` when listed; the unread count is stored (`unread`) and kept
 * in the same transaction as the messages it counts (see worker/unread.ts).
 */
export interface ChatRow {
  peerId: string;
  peer: PeerProfile;
  /** Time of the newest message (for sorting). */
  lastAt: number;
  myReadSeq: number;
  /** Highest seq this device has told the server it read (a lower myReadSeq is still to send). */
  readSentSeq: number;
  peerReadSeq: number;
  /**
   * The peer's stored messages after `myReadSeq`. Absent: not known (cleared by a writer that could
   * not count, or not yet counted), the next list read counts it.
   */
  unread?: number; /** When I pinned it to the top of the list (my setting, synced to my devices; not indexed); absent: not pinned. */
  pinnedAt?: number;
  /** Its notifications are off until then (ms; MUTED_FOREVER: until unmuted; not indexed); absent: not muted. */
  mutedUntil?: number;
  /** Out of the main list, in "Archived chats" (my setting, synced to my devices; not indexed); absent: not archived. */
  archived?: true;
  /** Marked as unread by hand (my setting, synced to my devices; opening the chat clears it; not indexed); absent: not marked. */
  markedUnread?: true;
  /** Its pinned messages, newest pin first, as the relay's last `pin` update said (../worker/pins.ts; not indexed); absent: none. */
  pins?: PinnedRef[];
  /** I cleared its history up to this seq (../worker/cloud-clear.ts; not indexed): older messages never come back here; absent: never. */
  clearedSeq?: number;
  /** I deleted the chat: out of my list until a message after `clearedSeq` (not indexed); absent: shown. */
  removed?: true;
}

/** A message pinned in a chat and when (ids and times in clear, like the rows' seqs; the content stays sealed). */
export interface PinnedRef {
  id: string;
  at: number;
}

export type MessageStatus = 'pending' | 'sent' | 'failed';

export interface MessageRow {
  id: string;
  peerId: string;
  /** Server seq; 0 while pending in the outbox (sorted after every stored message). */
  seq: number;
  senderId: string;
  createdAt: number;
  status: MessageStatus;
  /** Sealed {text, replyTo, media}. */
  box: Uint8Array;
  /**
   * A self-destructing attachment's deadline (ms), once the recipient opened it; in clear (a time, not
   * content) so the message is purged at the deadline even while locked, like secret messages.
   * Absent, never null, while there is none: WebKit returns null-keyed rows from index ranges.
   */
  deadline?: number;
  /** When its author last edited it (the relay's clock; not indexed, in clear like createdAt); absent: never. */
  editedAt?: number;
  /**
   * `editedAt` is this device's clock: an edit made here that the relay's log has not brought back yet
   * (worker/cloud-actions-local.ts); the relay's edit replaces it whatever its time. Absent otherwise.
   */
  editedHere?: true;
  /**
   * Why the relay refused this message of mine for good, when a block did (status 'failed'): 'blocked'
   * (the peer blocked me) or 'you_blocked' (I blocked the peer; worker/blocks.ts). Not indexed; absent otherwise.
   */
  refused?: 'blocked' | 'you_blocked';
}

/** A cloud-chat attachment's plaintext, sealed; deleted with its message. */
export interface CloudMediaCacheRow {
  messageId: string;
  peerId: string;
  box: Uint8Array;
}

export interface OutboxRow {
  id: string;
  peerId: string;
  createdAt: number;
  attempts: number;
  /** Sealed {text, replyTo}. */
  box: Uint8Array;
}

export type SecretStatus = 'waiting' | 'active' | 'cancelled' | 'failed';

/**
 * Why a handshake ended without a chat (status 'failed'): the device that claimed the request
 * refused it (it could not verify it: 'refused', or speaks another protocol version: 'unsupported'),
 * or no device the request went to can take it any more (signed out, request undeliverable: 'gone'),
 * or the relay refused the request because the peer blocked me ('blocked'; an older app reads it as 'gone').
 */
export type SecretFailure = 'refused' | 'unsupported' | 'gone' | 'blocked';

/** A secret chat. It exists only in this device's database; its keys are inside the sealed `box`. */
export interface SecretChatRow {
  /** Local id; also the relay's request id for the handshake fan-out. */
  id: string;
  peerId: string;
  peer: PeerProfile;
  role: 'initiator' | 'acceptor';
  status: SecretStatus;
  /** Protocol chat id (hex) once established: incoming envelopes are routed by it. Indexed, so absent (never null) before. */
  protoChatId?: string;
  peerDeviceId: string | null;
  createdAt: number;
  lastAt: number;
  /** Set when cancelled: who ended it. */
  cancelledBy: 'me' | 'peer' | null;
  /** Set with status 'failed' (absent otherwise; not indexed). */
  failure?: SecretFailure;
  /** Sealed SecretState (ratchet session, pending handshakes, ordering windows, fingerprint). */
  box: Uint8Array; /** Pinned to the top of the list since then (this device only, like the chat; not indexed); absent: not pinned. */
  pinnedAt?: number;
  /** Notifications off until then (ms; MUTED_FOREVER: until unmuted; not indexed); absent: not muted. */
  mutedUntil?: number;
  /** In "Archived chats" (this device only; not indexed); absent: not archived. The peer's message takes it out unless muted. */
  archived?: true;
  /** Marked as unread by hand (this device only; opening the chat clears it; not indexed); absent: not marked. */
  markedUnread?: true;
  /** Its pinned messages, newest pin first (../worker/secret/pin.ts; this device only, not indexed); absent: none. */
  pins?: PinnedRef[];
}

export type SecretMessageStatus = 'pending' | 'sent' | 'read' | 'failed';

export interface SecretMessageRow {
  id: string;
  chatId: string;
  /** Local display order: send time for ours, arrival time for theirs. */
  at: number;
  mine: boolean;
  status: SecretMessageStatus;
  /** Self-destruct timer in seconds (0 = none). Kept in clear: a time, not content. */
  ttl: number;
  /**
   * When the message self-destructs (ms), once its timer started; absent before (never null: it is
   * indexed). In clear so expired rows can be purged without the vault key.
   */
  deadline?: number;
  /** The relay's id of the encrypted attachment (opaque), so it can be deleted there too. */
  blobId: string | null;
  /** Sealed SecretBody. */
  box: Uint8Array;
  /**
   * 1 while the message is the peer's and not yet read, absent otherwise (never null: it is indexed).
   * The chat list counts unread messages on the `[chatId+unread]` index instead of reading every row;
   * a chat opens at the first entry of `[chatId+unread+at]` (by time, then id: the pages' order).
   */
  unread?: 1;
}

/** Envelopes waiting to reach the relay (ciphertext only; removed once the relay has them). */
export interface SendQueueRow {
  id: string;
  toDeviceId: string;
  body: string;
  requestId: string | null;
  chatId: string;
  /** Messages whose tick becomes "sent" once this envelope is on the relay. */
  messageIds: string[];
  createdAt: number;
  /**
   * A sealed post (protocol 2): the peer's mailbox (b64url), the capability MAC over id and body,
   * and the mailbox's epoch. Posted to /api/sealed without credentials; toDeviceId is then local only.
   */
  mailbox?: string;
  mac?: string;
  epoch?: number;
  /** Register the chat's receive mailboxes at the relay before posting this (a version-2 handshake step). */
  register?: true;
}

/**
 * A receive mailbox of a version-2 secret chat registered at the relay: routes a sealed envelope to
 * its chat and epoch (the header key is derived again from the chat's sealed state).
 */
export interface MailboxRow {
  /** b64url of the 16-byte mailbox id. */
  id: string;
  chatId: string;
  epoch: number;
  /** When the relay forgets it. */
  expiresAt: number;
}

/**
 * A peer device whose identity key this user verified (scan or in-person comparison). Keyed by
 * [userId+deviceId]: the relay says whose a device is, so a pin under one user never replaces another's.
 */
export interface TrustRow {
  deviceId: string;
  userId: string;
  /** Ed25519 identity key (hex) that was verified. */
  signPub: string;
  verifiedAt: number;
}

/** A secret-chat attachment's plaintext, sealed; deleted with its message. */
export interface SecretMediaRow {
  messageId: string;
  chatId: string;
  box: Uint8Array;
}

/**
 * A chat's unsent draft (the composer's text and the message it replies to), on this device only.
 * `id` names the chat (worker/drafts.ts: `cloud:<peerId>`, `secret:<chatId>`); the rest, its time
 * too, is inside the sealed box.
 */
export interface DraftRow {
  id: string;
  /** Sealed {text, replyTo, at}. */
  box: Uint8Array;
}

/**
 * One of my scheduled messages of a cloud chat (worker/scheduled.ts), as the relay's last word on it
 * said: kept so the Scheduled view shows offline. Ids, chat and time in clear (for the list's order),
 * the rest sealed.
 */
export interface ScheduledRow {
  id: string;
  peerId: string;
  at: number;
  /** Sealed: { text, replyTo, createdAt, failed }. */
  box: Uint8Array;
}

/**
 * A cloud update of a kind this version does not know (worker/cloud-kept.ts), kept for a later version
 * to apply. `kind` (the update's own word for it) is in clear so a version can find the kinds it knows
 * without opening the rest; the update as it came is sealed, as it may hold a message.
 */
export interface KeptUpdateRow {
  /** The update's cursor in the user's log. */
  cursor: number;
  kind: string;
  /** Bytes of the update's JSON text (the bound on what is kept adds these up). */
  size: number;
  /** Sealed: the update's JSON text. */
  box: Uint8Array;
}

/**
 * Relay envelopes already processed (a lost ack or a second context may deliver one again): one
 * record per commit, naming every envelope it handled (a batch: up to a page), found by their seqs.
 */
export interface SeenEnvelopeRow {
  /** The first envelope's id (a record from before schema 9: its only envelope). */
  id: string;
  at: number;
  /** The envelopes it records, in queue order (`ids[0] === id`). */
  ids: string[];
  /** Their relay seqs, indexed one by one (multi-entry); [0] for a record from before schema 8. */
  seqs: number[];
}

/**
 * A cloud-chat action taken on this device and not yet on the relay (worker/cloud-actions.ts): an edit,
 * a reaction, a message's pin or unpin, a delete for everyone, a chat's pin and mute. Shown at once, sent after the outbox.
 * What it names in clear is what a message row or a chat row shows in clear too (ids, the chat);
 * what it does (an edit's text, the emoji, the setting) is inside the sealed box.
 */
export interface CloudActionRow {
  /** What it acts on, so a newer action of the same kind replaces it: `edit:<id>`, `react:<id>`, `pin:<id>`, `settings:<peerId>`, `delete:<uuid>`. */
  key: string;
  /** Queue order (ms; set when queued, kept when a newer one replaces it). */
  at: number;
  kind: 'edit' | 'react' | 'delete' | 'settings' | 'pin';
  peerId: string;
  /** Sealed: what the action does (worker/cloud-actions.ts `ActionBody`). */
  box: Uint8Array;
  /**
   * The relay refused it for good and the user was told; kept only until the relay's state is read
   * back over what it showed (worker/cloud-actions-flush.ts), never sent again. Absent otherwise.
   */
  refused?: true;
}

export class CinderDB extends Dexie {
  vault!: EntityTable<VaultRow, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;
  secrets!: EntityTable<SecretRow, 'key'>;
  chats!: EntityTable<ChatRow, 'peerId'>;
  messages!: EntityTable<MessageRow, 'id'>;
  outbox!: EntityTable<OutboxRow, 'id'>;
  secretChats!: EntityTable<SecretChatRow, 'id'>;
  secretMessages!: EntityTable<SecretMessageRow, 'id'>;
  sendQueue!: EntityTable<SendQueueRow, 'id'>;
  trustPins!: Table<TrustRow, [string, string]>;
  seenEnvelopes!: EntityTable<SeenEnvelopeRow, 'id'>;
  secretMedia!: EntityTable<SecretMediaRow, 'messageId'>;
  lockedInbox!: EntityTable<LockedInboxRow, 'id'>;
  cloudMedia!: EntityTable<CloudMediaCacheRow, 'messageId'>;
  mailboxes!: EntityTable<MailboxRow, 'id'>;
  parkedEnvelopes!: EntityTable<ParkedEnvelopeRow, 'id'>;
  drafts!: EntityTable<DraftRow, 'id'>;
  keptUpdates!: EntityTable<KeptUpdateRow, 'cursor'>;
  cloudActions!: EntityTable<CloudActionRow, 'key'>;
  scheduled!: EntityTable<ScheduledRow, 'id'>;
  photos!: EntityTable<PhotoCacheRow, 'userId'>;

  constructor(name = DB_NAME) {
    super(name);
    this.version(1).stores({
      vault: 'id',
      meta: 'key',
      secrets: 'key',
      chats: 'peerId, lastAt',
      // [peerId+seq] pages history; pending rows have seq 0 and are read separately.
      messages: 'id, [peerId+seq], [peerId+createdAt]',
      outbox: 'id, createdAt'
    });
    this.version(2).stores({
      secretChats: 'id, protoChatId, lastAt, peerId',
      secretMessages: 'id, [chatId+at], deadline',
      sendQueue: 'id, createdAt, chatId',
      trust: 'deviceId, userId',
      seenEnvelopes: 'id, at',
      secretMedia: 'messageId, chatId',
      lockedInbox: 'id, seq'
    });
    // Cloud-chat photos and videos: the sealed plaintext cache, and deadlines of timed ones.
    this.version(3).stores({
      messages: 'id, [peerId+seq], [peerId+createdAt], deadline',
      cloudMedia: 'messageId, peerId'
    });
    // Same schema; rows written before 4 may hold null in indexed properties (see upgrade-nulls.ts).
    this.version(4).stores({}).upgrade(dropIndexedNulls);
    // Sealed addressing (protocol 2): receive mailboxes of version-2 secret chats.
    this.version(5).stores({ mailboxes: 'id, chatId, expiresAt' });
    // Same schema; cloud chats store their unread count (see upgrade-unread.ts).
    this.version(6).stores({}).upgrade(countStoredUnread);
    // Secret chats' unread messages get an index of their own (see upgrade-secret-unread.ts).
    this.version(7).stores({ secretMessages: 'id, [chatId+at], deadline, [chatId+unread]' }).upgrade(markSecretUnread);
    // Seen envelopes are found by the seqs of a relay page (see upgrade-seen-seq.ts).
    this.version(8).stores({ seenEnvelopes: 'id, at, seq' }).upgrade(seenWithSeq);
    // One seen record per commit (a batch of envelopes), found by any of its seqs (see upgrade-seen-batches.ts).
    this.version(9).stores({ seenEnvelopes: 'id, at, *seqs' }).upgrade(seenInBatches);
    // Envelopes kept for a newer version of the app (worker/secret/parked.ts); drafts kept per chat
    // (worker/drafts.ts). Both new stores, empty at first, so no row to rewrite.
    this.version(10).stores({ parkedEnvelopes: 'id, seq, chatId', drafts: 'id' });
    // Pins keyed per user and device (see upgrade-trust-pins.ts); `trust` is dropped after the copy.
    this.version(11).stores({ trustPins: '[userId+deviceId], userId', trust: null }).upgrade(pinTrustPerUser);
    // Cloud updates of a kind not known yet, kept for a later version (worker/cloud-kept.ts): a new store.
    this.version(12).stores({ keptUpdates: 'cursor, kind' });
    // A secret chat's oldest unread message, read as the first entry of an index (worker/rpc/opening.ts)
    // instead of picked from every unread row. Only an index is added: IndexedDB fills it, no upgrade.
    this.version(13).stores({ secretMessages: 'id, [chatId+at], deadline, [chatId+unread], [chatId+unread+at]' });
    // Cloud actions taken offline, sent after the outbox (worker/cloud-actions.ts): a new store.
    this.version(14).stores({ cloudActions: 'key, at' });
    // My scheduled messages of cloud chats (worker/scheduled.ts): a new store.
    this.version(15).stores({ scheduled: 'id, peerId' });
    // Profile photos, one version per user (worker/photos.ts): a new store.
    this.version(16).stores({ photos: 'userId' });
    lockTransactions(this);
    guardSealedWrites(this);
  }
}

/**
 * Opens the database and its vault, creating the vault key on first use. `vault` is null while a
 * passcode lock is set and not yet entered (see passcode.ts).
 */
export async function openStore(name = DB_NAME): Promise<{ db: CinderDB; vault: Vault | null }> {
  const db = new CinderDB(name);
  await openLocked(db);
  const existing = await db.vault.get('main');
  if (existing?.key) return { db, vault: new Vault(existing.key, existing.keyId) };
  if (existing?.wrapped) return { db, vault: null };
  // WebCrypto calls may not run inside an IndexedDB transaction, so create first, then
  // insert-if-absent: when two contexts race, both end up using the key that was stored first.
  const fresh: VaultRow = { id: 'main', key: await createVaultKey(), keyId: newKeyId() };
  const row = await db.transaction('rw', db.vault, async () => {
    const current = await db.vault.get('main');
    if (current) return current;
    await db.vault.add(fresh);
    return fresh;
  });
  return { db, vault: row.key ? new Vault(row.key, row.keyId) : null };
}

/** Deletes everything this device stores: used on logout and revocation. */
export async function destroyStore(db: CinderDB): Promise<void> {
  db.close();
  await Dexie.delete(db.name);
}
