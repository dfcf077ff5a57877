/**
 * The device's local database (Dexie over IndexedDB). Only the worker and the service worker open it.
 * Anything secret — message text, previews, private keys — is stored sealed by the vault
 * (`box` fields); what stays in clear is what indexes need (ids, sequence numbers, times) and
 * public profile data.
 */
import { Dexie, type EntityTable } from 'dexie';
import { createVaultKey, Vault } from './vault';

export const DB_NAME = 'cinder';

export interface VaultRow {
  id: 'main';
  key: CryptoKey;
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
}

/** Previews and unread counts are derived from `messages` when listed, so they cannot drift. */
export interface ChatRow {
  peerId: string;
  peer: PeerProfile;
  /** Time of the newest message (for sorting). */
  lastAt: number;
  myReadSeq: number;
  /** Highest seq this device has told the server it read (a lower myReadSeq is still to send). */
  readSentSeq: number;
  peerReadSeq: number;
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
  /** Sealed {text, replyTo}. */
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

export class CinderDB extends Dexie {
  vault!: EntityTable<VaultRow, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;
  secrets!: EntityTable<SecretRow, 'key'>;
  chats!: EntityTable<ChatRow, 'peerId'>;
  messages!: EntityTable<MessageRow, 'id'>;
  outbox!: EntityTable<OutboxRow, 'id'>;

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
  }
}

/** Opens the database and its vault, creating the vault key on first use. */
export async function openStore(name = DB_NAME): Promise<{ db: CinderDB; vault: Vault }> {
  const db = new CinderDB(name);
  await db.open();
  const existing = await db.vault.get('main');
  if (existing) return { db, vault: new Vault(existing.key) };
  // WebCrypto calls may not run inside an IndexedDB transaction, so create first, then
  // insert-if-absent: when two contexts race, both end up using the key that was stored first.
  const fresh = await createVaultKey();
  const key = await db.transaction('rw', db.vault, async () => {
    const row = await db.vault.get('main');
    if (row) return row.key;
    await db.vault.add({ id: 'main', key: fresh });
    return fresh;
  });
  return { db, vault: new Vault(key) };
}

/** Deletes everything this device stores: used on logout and revocation. */
export async function destroyStore(db: CinderDB): Promise<void> {
  db.close();
  await Dexie.delete(db.name);
}
