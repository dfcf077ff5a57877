/**
 * The storage contract. Async so a networked backend (PostgreSQL) can implement the same interface;
 * the SQLite backend (./sqlite/) is synchronous underneath. Bodies are opaque bytes here: callers
 * seal them with the at-rest key before they reach the store, so no backend ever sees plaintext.
 *
 * Every multi-row change (a message send, a read, a delete) happens atomically inside the store, and
 * each one appends rows to the per-user update log that devices replay by cursor.
 */

// The rows and results the contract speaks in (./records.ts), for importers of the contract.
export * from './records';
export type { CloudPinStore, CloudStore, ScheduledStore } from './types-cloud';
import type { CloudPinStore, CloudStore, ScheduledStore } from './types-cloud';
import type {
  UserRow,
  DeviceRow,
  NewDevice,
  BlockRow,
  PhotoRow,
  AppendedUpdate,
  EnvelopeRow,
  NewEnvelope,
  EnvelopeRequestCtx,
  PutEnvelopeResult,
  SecretRequestRow,
  ClaimResult,
  BlobRow,
  MailboxRow,
  RegisterMailboxesResult,
  PushSubscriptionRow,
  CloudMediaRow,
  NewCloudMedia,
  DueMediaRow,
  WakeupRow,
  LoginAttempt
} from './records';
/** Accounts (the `users` table). */
export interface UserStore {
  /** Creates the user and its first device atomically. Throws UniqueViolation if the username is taken. */
  createUser(user: UserRow, device: NewDevice): Promise<void>;
  getUser(id: string): Promise<UserRow | null>;
  getUserByName(username: string): Promise<UserRow | null>;
  /** Users whose (lowercase) username starts with `prefix`, ordered by username. */
  searchUsers(prefix: string, limit: number): Promise<UserRow[]>;
  setDisplayName(userId: string, displayName: string): Promise<void>;
}

/** "Last seen" and its privacy setting (../last-seen.ts; migration 19). */
export interface LastSeenStore {
  /** Records when a live user was last online (a deleted account keeps none). */
  setLastSeenAt(userId: string, at: number): Promise<void>;
  /** Sets who sees the user's last seen; false when there is no such live user. */
  setLastSeenPrivacy(userId: string, privacy: 'everybody' | 'chats' | 'nobody'): Promise<boolean>;
  /** The users who share a cloud chat with `userId` (not themselves; a chat with only a scheduled message is none yet), in id order. */
  cloudPeers(userId: string): Promise<string[]>;
  /** The users of `ids` that exist (deleted ones too), in no particular order; one query. */
  getUsers(ids: readonly string[]): Promise<UserRow[]>;
  /** Blocks between `userId` and any of `others`, both ways: who of them blocked `userId`, whom of them `userId` blocked; one query. */
  blocksWith(userId: string, others: readonly string[]): Promise<{ blockedBy: string[]; blocked: string[] }>;
  /** Which of `others` share a cloud chat with `userId` (as cloudPeers counts one); one query. */
  sharedChats(userId: string, others: readonly string[]): Promise<string[]>;
  /**
   * `userId`'s cloud peers with live accounts (as cloudPeers), each with whether they hide their own last
   * seen (privacy 'nobody') and whether `userId` blocked them: whom a presence change of `userId` concerns; one query.
   */
  peerAudience(userId: string): Promise<{ peerId: string; hidesOwn: boolean; blockedByUser: boolean }[]>;
  /** Sets `at` as the last seen of those of `userIds` still live whose stored one is older (never moves one back); one statement. How many changed. */
  refreshLastSeen(userIds: readonly string[], at: number): Promise<number>;
}

/** Profile photos (migration 18). */
export interface PhotoStore {
  /**
   * Sets the user's photo under the next version (`seal` makes the stored bytes for that version), or
   * removes it (null; nothing when there is none). Either way one 'profile' update per person the user
   * shares a cloud chat with, and one in their own log (through their Saved Messages chat, made empty when
   * there is none), same transaction. The version now, or null.
   */
  setPhoto(userId: string, photo: { type: string; seal: (version: number) => Buffer } | null): Promise<{ photo: number | null; updates: AppendedUpdate[] }>;
  /** The user's photo (any version), or null. */
  getPhoto(userId: string): Promise<PhotoRow | null>;
  /** One 'profile' update about `userId` to each person sharing a cloud chat with them and to themselves (or only `only`); after a rename, a block. */
  announceProfile(userId: string, only?: string): Promise<AppendedUpdate[]>;
}

/** Devices and their sessions (token hashes), sign-out, and the password change that signs the others out. */
export interface DeviceStore {
  /**
   * Adds a device. With `maxLive`, atomically refuses (returns false, nothing stored) when the user
   * already has that many non-revoked devices. With `pwHash` (a login that checked this password
   * hash), refuses with 'password_changed' when the hash is no longer the user's: a password change
   * that happened between the check and now would otherwise miss the new device when it signs the
   * others out.
   */
  createDevice(device: NewDevice, maxLive?: number, pwHash?: string): Promise<boolean | 'password_changed'>;
  getDevice(id: string): Promise<DeviceRow | null>;
  /** The device (revoked or not) holding this token hash, with its user. */
  getSession(tokenHash: string): Promise<{ user: UserRow; device: DeviceRow } | null>;
  /** Non-revoked devices of a user, oldest first. */
  listDevices(userId: string): Promise<DeviceRow[]>;
  /**
   * Revokes one of the user's live devices and drops its pending envelopes, its push subscription, its
   * wake-ups and its mailboxes (same transaction). False if none matched.
   */
  revokeDevice(userId: string, deviceId: string, at: number): Promise<boolean>;
  touchDevice(deviceId: string, at: number): Promise<void>;
  /** Sets a live device's protocol version; false if no live device matched. */
  setDeviceProtocol(deviceId: string, protocol: number): Promise<boolean>;
  /** Renames one of the user's live devices (the name is already validated). False if none matched. */
  renameDevice(userId: string, deviceId: string, name: string): Promise<boolean>;
  /** Revokes every live device of the user but `keepDeviceId`, each as revokeDevice does (one transaction); their ids. */
  revokeOtherDevices(userId: string, keepDeviceId: string, at: number): Promise<string[]>;
  /**
   * Replaces the password hash and revokes the user's other devices (as revokeOtherDevices), in one
   * transaction. Does nothing and returns null unless the stored hash is still `oldHash` (a concurrent
   * change wins) and `keepDeviceId` is a live device of the user; else the revoked ids. Also forgets the
   * user's known-device tokens: a browser that knew the old password loses its backoff exemption.
   */
  changePassword(userId: string, oldHash: string, newHash: string, keepDeviceId: string, at: number): Promise<string[] | null>;
}

/** Each account's block list (../blocks.ts; SQLite/PG migration 13). */
export interface BlockStore {
  /**
   * Records that `blockerId` blocked `blockedId` at `at`, answering when it was blocked and whether that
   * is new (`created`; a repeat keeps the first time); 'too_many_blocked', changing nothing, when the
   * user already blocked `max` others.
   */
  block(blockerId: string, blockedId: string, at: number, max: number): Promise<{ created: boolean; at: number } | 'too_many_blocked'>;
  /** Removes the block; false when there was none. */
  unblock(blockerId: string, blockedId: string): Promise<boolean>;
  /** The users `blockerId` blocked, the latest blocked first. */
  listBlocked(blockerId: string): Promise<BlockRow[]>;
  /** Whether `a` blocked `b` (`aBlockedB`) and whether `b` blocked `a` (`bBlockedA`). */
  blockedBetween(a: string, b: string): Promise<{ aBlockedB: boolean; bBlockedA: boolean }>;
}

/** Secret-chat envelopes queued per recipient device. */
export interface EnvelopeStore {
  /**
   * Idempotent by (toDeviceId, id). With `envelope.requestId` set, `request` must be given: the request
   * row is created on first use and checked (same sender device, same target user, still open) after;
   * a row expired at `envelope.createdAt` counts as unused (taken over by this request).
   */
  putEnvelope(envelope: NewEnvelope, request?: EnvelopeRequestCtx): Promise<PutEnvelopeResult>;
  /** Unexpired envelopes of the device with seq > after, ascending. */
  listEnvelopes(deviceId: string, after: number, limit: number, now: number): Promise<EnvelopeRow[]>;
  countEnvelopes(deviceId: string, now: number): Promise<number>;
  /**
   * The seq of the device's newest envelope still queued before `seq`, or 0 if none. Exact once `seq`
   * is committed: per device, seqs commit in order (see putEnvelope), so nothing older appears later.
   */
  envelopeBefore(deviceId: string, seq: number): Promise<number>;
  /** Deletes the device's envelopes with seq <= upTo; returns how many. */
  ackEnvelopes(deviceId: string, upTo: number): Promise<number>;
  /** Deletes expired envelopes and expired secret-request rows; returns how many envelopes. */
  purgeExpiredEnvelopes(now: number): Promise<number>;
}

/** Secret-chat requests (carried by envelopes; see EnvelopeStore.putEnvelope). */
export interface SecretRequestStore {
  getSecretRequest(id: string): Promise<SecretRequestRow | null>;
  /**
   * Atomically claims the request for `deviceId` (of `userId`). On the first claim, deletes the queued
   * envelopes of the request addressed to any other device. A request expired at `now` is 'not_found'.
   */
  claimSecretRequest(id: string, userId: string, deviceId: string, now: number): Promise<ClaimResult>;
  /** Marks withdrawn and deletes all queued envelopes of the request. False unless `fromDeviceId` sent it and it is unexpired at `now`. */
  withdrawSecretRequest(id: string, fromDeviceId: string, now: number): Promise<boolean>;
}

/** Secret-chat media blobs (rows only; the bytes are files managed by the caller). */
export interface BlobStore {
  /** Inserts the row unless the owner's live blobs plus this one would exceed `quota` bytes. */
  createBlob(blob: BlobRow, quota: number, now: number): Promise<boolean>;
  /** The blob, unless missing or expired. */
  getBlob(id: string, now: number): Promise<BlobRow | null>;
  deleteBlob(id: string): Promise<boolean>;
  /** Bytes of the user's unexpired blobs. */
  blobUsage(userId: string, now: number): Promise<number>;
  /**
   * A sealed upload (owner columns null): inserts the row unless the unexpired sealed blobs addressed
   * to `blob.toDeviceId` plus this one would exceed `quota` bytes (the recipient device's inbound quota,
   * apart from its user's own uploads). Serialised per recipient device.
   */
  createSealedBlob(blob: BlobRow, quota: number, now: number): Promise<boolean>;
  /** Bytes of the unexpired sealed blobs addressed to the device. */
  sealedBlobUsage(deviceId: string, now: number): Promise<number>;
  /**
   * An upload reserved its quota with createBlob/createSealedBlob before streaming; now it finished:
   * the row takes the real size and expiry. False when the row is gone (an account was deleted meanwhile).
   */
  settleBlob(id: string, size: number, expiresAt: number): Promise<boolean>;
  /** Deletes expired blob rows; returns their ids (so the caller removes the files). */
  purgeExpiredBlobs(now: number): Promise<string[]>;
}

/** Sealed receive mailboxes (protocol version 2; SQLite/PG migration 8). */
export interface MailboxStore {
  /**
   * Registers the device's mailboxes in one transaction. An id already registered (unexpired) for this
   * device whose stored cap `sameCap` accepts is kept, with the new expiresAt; an id of another device,
   * or whose cap `sameCap` refuses, is left as it is and listed in `conflicts` (in the order given): one
   * squatted id must not keep the device's other mailboxes out. An expired row counts as absent. If
   * the call adds rows and the device would then hold more than `maxLive` unexpired ones, nothing is
   * stored (`too_many`; counted in the same transaction, PG under a per-device lock).
   */
  registerMailboxes(
    deviceId: string,
    mailboxes: MailboxRow[],
    sameCap: (id: string, stored: Buffer) => boolean,
    now: number,
    maxLive: number
  ): Promise<RegisterMailboxesResult>;
  /** Deletes the device's own mailboxes with these ids (others are ignored); returns how many. */
  dropMailboxes(deviceId: string, ids: string[]): Promise<number>;
  /** The mailbox, unless missing or expired at `now`. */
  getMailbox(id: string, now: number): Promise<MailboxRow | null>;
  /** Deletes expired mailboxes; returns how many. */
  purgeExpiredMailboxes(now: number): Promise<number>;
}

/** Web Push subscriptions, one per device (../push.ts; SQLite/PG migration 3). */
export interface PushStore {
  /** Inserts or replaces the device's subscription (one per device). */
  setPushSubscription(sub: PushSubscriptionRow): Promise<void>;
  getPushSubscription(deviceId: string): Promise<PushSubscriptionRow | null>;
  /**
   * Deletes the device's subscription. With `endpoint`, only if it is still that endpoint (a 404/410 for
   * an old endpoint must not delete a subscription the device replaced meanwhile). True if a row went.
   */
  deletePushSubscription(deviceId: string, endpoint?: string): Promise<boolean>;
}

/** Self-destruct wake-up times per device (../wakeups.ts; SQLite/PG migration 3). */
export interface WakeupStore {
  /**
   * Stores wake-up times for the device; a (deviceId, at) pair already stored is skipped
   * (PG: INSERT ... ON CONFLICT DO NOTHING). Stores nothing and returns false if the device would then
   * have more than `maxPending` rows (a soft cap: checked in the same transaction, races may pass it).
   */
  addWakeups(deviceId: string, times: number[], maxPending: number): Promise<boolean>;
  /**
   * Atomically claims up to `limit` rows (earliest first) with `at <= dueBy` that are unclaimed or whose
   * claim is stale (`claimed_at < staleBefore`): sets claimed_by = node, claimed_at = now, returns them.
   * Two concurrent callers (other processes included) never get the same row; this is what makes a
   * wake-up fire once across relay nodes. PG: UPDATE wakeups SET ... WHERE id IN (SELECT id ... ORDER BY
   * at LIMIT n FOR UPDATE SKIP LOCKED) RETURNING id, device_id, at.
   */
  claimWakeups(node: string, now: number, dueBy: number, staleBefore: number, limit: number): Promise<WakeupRow[]>;
  /** Deletes the given rows, but only those still claimed by `node` (after sending them). */
  deleteWakeups(ids: number[], node: string): Promise<void>;
  /**
   * When the scheduler should next run: with each row's "ready" time being `at` (unclaimed) or
   * max(at, claimed_at + staleMs) (claimed), the latest ready time within `groupMs` of the earliest one,
   * so wake-ups that close together go out as one push. null when there are no rows.
   */
  nextWakeupAt(staleMs: number, groupMs: number): Promise<number | null>;
}

/** Cloud-chat media rows, quotas and self-destruct deadlines (../cloud-media.ts; SQLite/PG migration 4). */
export interface CloudMediaStore {
  createCloudMedia(media: NewCloudMedia): Promise<void>;
  /**
   * Quota reservation (SQLite/PG migration 5): inserts the row with `size` as the bytes reserved, unless
   * the owner's rows (uploads in progress included) plus this one would exceed `quota`. Serialised per
   * owner, so concurrent uploads on any node cannot overshoot. False: nothing stored.
   */
  reserveCloudMedia(media: NewCloudMedia, quota: number): Promise<boolean>;
  /**
   * The upload finished: its row keeps the real size (at most the reservation). False when the row is
   * gone (the account was deleted meanwhile): the caller must remove the file, nothing would.
   */
  settleCloudMedia(id: string, size: number): Promise<boolean>;
  /** Deletes the row (a failed upload releasing its reservation); true if it existed. */
  deleteCloudMedia(id: string): Promise<boolean>;
  /** Bytes counted against the user's cloud-media quota. */
  cloudMediaUsage(userId: string): Promise<number>;
  getCloudMedia(id: string): Promise<CloudMediaRow | null>;
  /**
   * The recipient opened the attachment: sets openedAt = now and, with a timer, deadline = now + ttl,
   * once (later calls change nothing). Only attached media can be opened. When a deadline was set,
   * appends a 'message' update for the carrying message to each member's log (so every device learns
   * the deadline). null when there is no such attached media.
   */
  openCloudMedia(id: string, now: number): Promise<{ media: CloudMediaRow; updates: AppendedUpdate[] } | null>;
  /**
   * Atomically claims up to `limit` rows with `deadline <= now`, unclaimed or with a stale claim
   * (`claimed_at < staleBefore`), earliest first, like `claimWakeups`: two concurrent callers (other
   * processes included) never get the same row.
   */
  claimDueMedia(node: string, now: number, staleBefore: number, limit: number): Promise<DueMediaRow[]>;
  /**
   * Finishes a claimed due row: if still claimed by `node`, deletes it and deletes its message for both
   * members (a 'delete' update each), in one transaction. `done` false when the row was gone or retaken.
   */
  finishDueMedia(id: string, node: string): Promise<{ done: boolean; updates: AppendedUpdate[] }>;
  /** The earliest time a due row is ready (deadline, or claimed_at + staleMs for a claimed one); null if none. */
  nextMediaDeadline(staleMs: number): Promise<number | null>;
  /** Deletes uploads never attached to a message (nor held by a scheduled one) created before `before`; returns their ids. */
  purgeUnattachedMedia(before: number): Promise<string[]>;
}

/** Sign-in backoff and known devices (../throttle.ts; SQLite/PG migration 5). */
export interface LoginStore {
  /**
   * Counts one sign-in attempt for `key`, atomically (callers on other nodes included): unless the key is
   * waiting (a row with last_at >= forgetBefore and next_at > now), sets failures = that row's failures
   * + 1 (1 for a missing or forgotten row), next_at = now + delayMs(failures), last_at = now, and
   * returns ok. A waiting key changes nothing and returns when it may try again.
   */
  takeLoginAttempt(key: string, now: number, forgetBefore: number, delayMs: (failures: number) => number): Promise<LoginAttempt>;
  /** Forgets the key's failures (a successful sign-in). */
  clearLoginAttempts(key: string): Promise<void>;
  /** Deletes keys last tried before `before`; returns how many. */
  purgeLoginAttempts(before: number): Promise<number>;
  /**
   * Records `tokenHash` as a known device of the user (last_at = at). With `replaces`, the rows of
   * that old hash (any user's) take the new one first: the cookie is rotated, not duplicated. Keeps
   * only the user's `keep` most recent rows.
   */
  rememberKnownDevice(userId: string, tokenHash: string, replaces: string | null, at: number, keep: number): Promise<void>;
  isKnownDevice(userId: string, tokenHash: string): Promise<boolean>;
}

/** What one account deletion removed, for the caller's fan-out and file removal (see AccountStore). */
export interface DeletedAccount {
  /** The user's devices that were live until now (the bus revokes their sockets and cached sessions). */
  liveDeviceIds: string[];
  /** 'delete' updates appended to the peers' logs for the messages the user sent (live fan-out). */
  updates: AppendedUpdate[];
  /** Cloud-media ids and secret-chat blob ids whose files the caller removes. */
  media: string[];
  blobs: string[];
  /** The relay notices queued for peer devices that had secret-chat traffic with the user's devices. */
  notices: EnvelopeRow[];
  /** Users who had blocked the deleted one: their block lists lost it (their devices are told to read them again). */
  blockedBy: string[];
}

/** Account deletion, the username quarantine, "delete my account if away" and secret-chat contacts. */
export interface AccountStore {
  /**
   * Deletes the account in one transaction: revokes every device (their envelopes, push subscriptions,
   * wake-ups and mailboxes go), deletes every cloud message the user sent (a 'delete' update each chat, so the
   * peers' devices drop them) with its media, its reactions and pins of the peers' messages (a 'react' or
   * 'pin' update each), the user's other cloud media, secret-chat blobs from or to
   * the user, envelopes from the user, secret-chat requests from or to the user, known-device tokens,
   * the blocks the user made and those of the user, and the user's own update log. The users row stays as a tombstone (renamed, display name "Deleted
   * account", no password), so peers' chats keep their other member; the username is quarantined until
   * `usernameFreeAt`. Every live peer device recorded as a secret-chat contact of one of the user's
   * devices gets a notice envelope built by `notice` (the caller seals it). null when there is no such
   * user or it was already deleted (so two sweeps on two nodes delete once).
   */
  deleteAccount(userId: string, at: number, usernameFreeAt: number, notice: (fromDeviceId: string, toDeviceId: string) => NewEnvelope): Promise<DeletedAccount | null>;
  /** When a quarantined username becomes free again, or null when it is not quarantined at `now`. */
  usernameQuarantine(username: string, now: number): Promise<number | null>;
  /** Deletes quarantine rows that ended before `now`; returns how many. */
  purgeUsernameQuarantine(now: number): Promise<number>;
  /** "Delete my account if away for N months": 0 (off) or a number of months. */
  getAutoDelete(userId: string): Promise<number>;
  setAutoDelete(userId: string, months: number): Promise<void>;
  /**
   * Users with auto-delete on whose last activity (the latest last_seen_at of any of their devices,
   * revoked ones included, or the sign-up time) is older than `now - months * monthMs`; at most `limit`.
   */
  listAwayUsers(now: number, monthMs: number, limit: number): Promise<string[]>;
  /** Records that two devices exchanged secret-chat envelopes (idempotent; one row per pair). */
  noteSecretContact(deviceA: string, deviceB: string, at: number): Promise<void>;
}

/**
 * The whole storage contract: every area above (callers that need one area can ask for just that one).
 * Implemented by ./sqlite (one object over one better-sqlite3 handle) and ./postgres (over one pool).
 */
export interface Store
  extends
    UserStore,
    LastSeenStore,
    PhotoStore,
    DeviceStore,
    CloudStore,
    CloudPinStore,
    ScheduledStore,
    BlockStore,
    EnvelopeStore,
    SecretRequestStore,
    BlobStore,
    MailboxStore,
    PushStore,
    WakeupStore,
    CloudMediaStore,
    LoginStore,
    AccountStore {
  close(): Promise<void>;
}
