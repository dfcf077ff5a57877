/**
 * The optional passcode lock (like Telegram's): the vault key is kept only wrapped (AES-KW) under
 * a key derived from the passcode with PBKDF2-SHA256 (600,000 iterations, per-device salt). While
 * locked, no context holds the vault key, so nothing sealed can be read; purges still run because
 * deadlines are stored in clear. Turning the passcode on or off re-keys every sealed value, so a
 * copy of the database taken before cannot be opened with the new key.
 */
import { equalBytes } from '$lib/crypto/bytes';
import type { CinderDB, VaultRow } from './db';
import { places } from './places';
import { newKeyId, Vault } from './vault';
import { SEALED_TABLES, type SealedTable } from './vault-guard';

export const PBKDF2_ITERATIONS = 600_000;
const ab = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;

export class PasscodeError extends Error {
  constructor(
    readonly code: 'bad_passcode' | 'no_passcode' | 'weak_passcode',
    message: string
  ) {
    super(message);
  }
}

export function isLocked(row: VaultRow | undefined): boolean {
  return !!row && !row.key && !!row.wrapped;
}

async function kek(passcode: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(passcode.normalize('NFKC')), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: ab(salt), iterations }, base, { name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']);
}

const unwrap = (wrapped: Uint8Array, k: CryptoKey) =>
  crypto.subtle.unwrapKey('raw', ab(wrapped), k, 'AES-KW', { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

/** Opens a locked vault. A wrong passcode fails AES-KW's integrity check. */
export async function unlockVault(db: CinderDB, passcode: string): Promise<Vault> {
  const row = await db.vault.get('main');
  if (!row?.wrapped || !row.salt || !row.iterations) throw new PasscodeError('no_passcode', 'No passcode is set on this device');
  try {
    return new Vault(await unwrap(row.wrapped, await kek(passcode, row.salt, row.iterations)), row.keyId);
  } catch {
    throw new PasscodeError('bad_passcode', 'Wrong passcode');
  }
}

interface Boxed {
  box: Uint8Array | null;
}

/** Where the rows of each sealed table keep their value (the vault binds a box to it). */
const PLACES: Record<SealedTable, (r: Record<string, unknown>) => string> = {
  secrets: (r) => places.secret(r.key as string),
  messages: (r) => places.message(r.id as string),
  outbox: (r) => places.message(r.id as string),
  secretChats: (r) => places.secretChat(r.id as string),
  secretMessages: (r) => places.secretMessage(r.id as string),
  secretMedia: (r) => places.secretMedia(r.messageId as string),
  cloudMedia: (r) => places.cloudMedia(r.messageId as string),
  drafts: (r) => places.draft(r.id as string),
  keptUpdates: (r) => places.keptUpdate(r.cursor as number),
  cloudActions: (r) => places.cloudAction(r.key as string),
  scheduled: (r) => places.scheduled(r.id as string)
};

/** How often a re-key starts over when other writes keep changing sealed rows while it seals. */
const REKEY_TRIES = 8;

class RowsChanged extends Error {}

/**
 * Every sealed value re-sealed from one vault to another, and the new vault row stored, in ONE
 * transaction. WebCrypto cannot run inside it, so the values are sealed first, then the transaction
 * reads the rows again: a box changed meanwhile (another write sealed it with the old key) means the
 * whole re-key starts over; a row whose box is unchanged keeps what else changed in it. Writes after
 * the commit that still use the old key are refused by the vault guard (vault-guard.ts).
 */
async function rekey(db: CinderDB, from: Vault, to: Vault, vaultRow: VaultRow): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // Per table: primary key → [the box read, the same value sealed under the new key].
    const resealed = new Map<SealedTable, Map<unknown, [Uint8Array, Uint8Array]>>();
    for (const name of SEALED_TABLES) {
      const t = db.table(name);
      const pk = t.schema.primKey.keyPath as string;
      const boxes = new Map<unknown, [Uint8Array, Uint8Array]>();
      for (const r of (await t.toArray()) as (Boxed & Record<string, unknown>)[]) {
        if (!r.box) continue;
        const p = PLACES[name](r);
        boxes.set(r[pk], [r.box, await to.sealBytes(p, await from.openBytes(p, r.box))]);
      }
      resealed.set(name, boxes);
    }
    try {
      await db.transaction('rw', [db.vault, ...SEALED_TABLES.map((n) => db.table(n))], async () => {
        // First: the guard checks each box written below against this row's key id.
        await db.vault.put(vaultRow);
        for (const name of SEALED_TABLES) {
          const t = db.table(name);
          const pk = t.schema.primKey.keyPath as string;
          const boxes = resealed.get(name)!;
          const rows = (await t.toArray()) as (Boxed & Record<string, unknown>)[];
          for (const r of rows) {
            if (!r.box) continue;
            const pair = boxes.get(r[pk]);
            if (!pair || !(r.box instanceof Uint8Array && equalBytes(pair[0], r.box))) throw new RowsChanged();
            r.box = pair[1];
          }
          await t.bulkPut(rows);
        }
      });
      return;
    } catch (e) {
      if (!(e instanceof RowsChanged) || attempt >= REKEY_TRIES) throw e;
    }
  }
}

/** Sets (or changes) the passcode: a fresh vault key, stored only wrapped. */
export async function setPasscode(db: CinderDB, current: Vault, passcode: string): Promise<Vault> {
  if (passcode.length < 4) throw new PasscodeError('weak_passcode', 'Use at least 4 characters');
  // Extractable only long enough to be wrapped; the handle used from now on is not.
  const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const k = await kek(passcode, salt, PBKDF2_ITERATIONS);
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey('raw', fresh, k, 'AES-KW'));
  const keyId = newKeyId();
  const next = new Vault(await unwrap(wrapped, k), keyId);
  await rekey(db, current, next, { id: 'main', wrapped, salt, iterations: PBKDF2_ITERATIONS, keyId });
  return next;
}

/** Removes the passcode: back to a non-extractable key stored in IndexedDB. */
export async function removePasscode(db: CinderDB, current: Vault): Promise<Vault> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const keyId = newKeyId();
  const next = new Vault(key, keyId);
  await rekey(db, current, next, { id: 'main', key, keyId });
  return next;
}
