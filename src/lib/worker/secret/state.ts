/**
 * What a secret chat keeps (sealed in the vault), what the engine is given, and what one locked
 * step hands to commit.
 */
import { inboxToJSON, newInbox, newOutbox, outboxToJSON, type CryptoBackend, type Identity } from '$lib/crypto';
import type { CinderDB, SecretChatRow, SecretMediaRow, SecretMessageRow, SendQueueRow, TrustRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { SeenRef } from '$lib/store/upgrade-seen-batches';
import type { Vault } from '$lib/store/vault';
import type { WorkerEvent } from '../protocol';
import type { Clock } from './jitter';
import type { SecretRelay } from './relay';

/**
 * A chat's state in memory. Stored sealed as bytes (format 2, see stored.ts); the session and the
 * pending handshakes are crypto's binary serializations, kept as bytes so they can be wiped.
 */
export interface SecretState {
  v: 2;
  /** serializeSession of the Double Ratchet session, once established. */
  session: Uint8Array | null;
  /** serializePending of each handshake still waiting for a device's accept. */
  pendings: { deviceId: string; protoChatId: string; pending: Uint8Array }[];
  inbox: ReturnType<typeof inboxToJSON>;
  outbox: ReturnType<typeof outboxToJSON>;
  fingerprint: string | null;
  /** Timer for messages I send from now on (seconds). */
  ttl: number;
  /** Highest peer seq we have acknowledged in an outgoing frame. */
  ackSent: number;
  /** I verified the peer device's key (scan, in person, or pinned from an earlier chat). */
  verifiedByMe: boolean;
  /** The peer told us (inside the channel) that it verified our key. */
  verifiedByPeer: boolean;
  /** The peer device's key differs from the one this user verified before. */
  keyChanged: boolean;
  /** Not verified, but I verified another device of this peer user before (a new login, or a substituted one). */
  newDevice: boolean;
}

export interface SecretContext {
  db: CinderDB;
  vault: Vault;
  /** Resolved on first use: feature-testing WebCrypto need not delay the first screen. */
  backend(): Promise<CryptoBackend>;
  identity(): Promise<Identity>;
  me(): { userId: string; deviceId: string };
  emit(e: WorkerEvent): void;
  /** A flush stopped on a failure worth retrying (offline, 429, 5xx) with envelopes still queued. */
  sendStalled?(): void;
  /** How the engine reaches the relay; the relay over HTTP (httpRelay) when not given. */
  relay?: SecretRelay;
  /** Time, chance and timers for the random delays of receipts and wake-up registrations (jitter.ts); the system's when not given. */
  clock?: Clock;
}

/** What one locked step wants committed. */
export interface Commit {
  row?: SecretChatRow | null;
  state?: SecretState;
  /** Rows to write; `sealing`, when given, fills in the row's box and is awaited first (Chats.messageRow). */
  put?: { row: SecretMessageRow; sealing?: Promise<void> }[];
  remove?: string[];
  /** `remove` is a delete for me: the peer keeps those messages, and the relay's copies of my files for it. */
  forMe?: true;
  clearChat?: boolean;
  queue?: SendQueueRow[];
  media?: SecretMediaRow[];
  /** A `deadline: undefined` change removes the property (Dexie's update()); it is never set to null. */
  updates?: { id: string; changes: Partial<Pick<SecretMessageRow, 'status' | 'deadline'>> }[];
  /** A peer device the user verified: pinned in the same transaction as the chat's state. */
  trust?: TrustRow;
  /** The relay envelope(s) these effects came from (a batch: several): recorded as seen in the same transaction. */
  seen?: SeenRef | SeenRef[];
  /** Ids among `put` whose stored row, if there is one, stays as it is (an incoming text sent twice). */
  keep?: string[];
  /** A send's ticket (../draft-order.ts): the chat's draft, if older, is deleted in the same transaction. */
  sentDraft?: number;
}

/** A Commit being built by a received frame (its lists always present). */
export type Effects = Commit & {
  put: NonNullable<Commit['put']>;
  remove: string[];
  updates: NonNullable<Commit['updates']>;
  /** Ids of the incoming text messages put (kept as stored if they are: Commit.keep, batch.ts). */
  texts: string[];
};

/** What one receive run brought: chats with new incoming messages (for notifications). */
export interface Received {
  chats: Map<string, number>;
}

export const statePlace = places.secretChat;
export const secretMsgPlace = places.secretMessage;
export const mediaPlace = places.secretMedia;

export const newState = (): SecretState => ({
  v: 2,
  session: null,
  pendings: [],
  inbox: inboxToJSON(newInbox()),
  outbox: outboxToJSON(newOutbox()),
  fingerprint: null,
  ttl: 0,
  ackSent: 0,
  verifiedByMe: false,
  verifiedByPeer: false,
  keyChanged: false,
  newDevice: false
});
