/**
 * The optional passcode lock (like Telegram's): the vault key is kept only wrapped (AES-KW) under
 * a key derived from the passcode with PBKDF2-SHA256 (600,000 iterations, per-device salt). While
 * locked, no context holds the vault key, so nothing sealed can be read; purges still run because
 * deadlines are stored in clear. Turning the passcode on or off re-keys every sealed value, so a
 * copy of the database taken before cannot be opened with the new key.
 */
import { Dexie } from 'dexie';
import type { CinderDB, VaultRow } from './db';
import { places } from './places';
import { Vault } from './vault';

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
    return new Vault(await unwrap(row.wrapped, await kek(passcode, row.salt, row.iterations)));
  } catch {
    throw new PasscodeError('bad_passcode', 'Wrong passcode');
  }
}

interface Boxed {
  box: Uint8Array | null;
}

/** Every sealed value, with its place, re-sealed from one vault to another in ONE transaction. */
async function rekey(db: CinderDB, from: Vault, to: Vault, vaultRow: VaultRow): Promise<void> {
  const tables = [
    { t: db.secrets, place: (r: { key: string }) => places.secret(r.key) },
    { t: db.messages, place: (r: { id: string }) => places.message(r.id) },
    { t: db.outbox, place: (r: { id: string }) => places.message(r.id) },
    { t: db.secretChats, place: (r: { id: string }) => places.secretChat(r.id) },
    { t: db.secretMessages, place: (r: { id: string }) => places.secretMessage(r.id) },
    { t: db.secretMedia, place: (r: { messageId: string }) => places.secretMedia(r.messageId) },
    { t: db.cloudMedia, place: (r: { messageId: string }) => places.cloudMedia(r.messageId) }
  ] as const;
  const rewritten: { t: Dexie.Table; rows: unknown[] }[] = [];
  for (const { t, place } of tables) {
    const rows = (await (t as unknown as Dexie.Table).toArray()) as (Boxed & Record<string, unknown>)[];
    for (const r of rows) {
      if (!r.box) continue;
      const p = (place as (x: unknown) => string)(r);
      r.box = await to.sealBytes(p, await from.openBytes(p, r.box));
    }
    rewritten.push({ t: t as unknown as Dexie.Table, rows });
  }
  await db.transaction('rw', [db.vault, ...rewritten.map((x) => x.t)], async () => {
    for (const { t, rows } of rewritten) await t.bulkPut(rows);
    await db.vault.put(vaultRow);
  });
}

/** Sets (or changes) the passcode: a fresh vault key, stored only wrapped. */
export async function setPasscode(db: CinderDB, current: Vault, passcode: string): Promise<Vault> {
  if (passcode.length < 4) throw new PasscodeError('weak_passcode', 'Use at least 4 characters');
  // Extractable only long enough to be wrapped; the handle used from now on is not.
  const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const k = await kek(passcode, salt, PBKDF2_ITERATIONS);
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey('raw', fresh, k, 'AES-KW'));
  const next = new Vault(await unwrap(wrapped, k));
  await rekey(db, current, next, { id: 'main', wrapped, salt, iterations: PBKDF2_ITERATIONS });
  return next;
}

/** Removes the passcode: back to a non-extractable key stored in IndexedDB. */
export async function removePasscode(db: CinderDB, current: Vault): Promise<Vault> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const next = new Vault(key);
  await rekey(db, current, next, { id: 'main', key });
  return next;
}
