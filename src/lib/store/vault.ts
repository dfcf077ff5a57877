/**
 * The vault: every secret the client keeps in IndexedDB is sealed with AES-256-GCM under one
 * non-extractable CryptoKey, itself stored in IndexedDB. Page JavaScript and a dump of IndexedDB
 * see only ciphertext and an opaque key handle; the raw key bytes never exist in JS memory.
 *
 * Each sealed value is bound (as AES-GCM additional data) to where it lives — table and row id —
 * so a ciphertext copied into another row fails to open instead of being misread.
 *
 * A sealed value names the key that sealed it (a 4-byte key id, not secret): setting or removing the
 * passcode replaces the key, and a context still holding the old one must not store anything sealed
 * under it (./vault-guard.ts refuses such a write; opening one says `stale_key`).
 */

import { equalBytes } from '$lib/crypto/bytes';

/** Format 1 (before key ids): [1][nonce][ciphertext]; still opened, never written. */
const VERSION_1 = 1;
/** Format 2: [2][key id][nonce][ciphertext]. */
const VERSION = 2;
const NONCE_BYTES = 12;
export const KEY_ID_BYTES = 4;
/** The id of a key stored before key ids existed (its vault row has none). */
export const LEGACY_KEY_ID: Uint8Array = new Uint8Array(KEY_ID_BYTES);
const enc = new TextEncoder();
const dec = new TextDecoder();

export class VaultError extends Error {
  constructor(
    readonly code: 'locked' | 'corrupt' | 'wrong_place' | 'stale_key',
    message: string
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export async function createVaultKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** A fresh key id: only needs to differ from the key it replaces. */
export const newKeyId = (): Uint8Array => crypto.getRandomValues(new Uint8Array(KEY_ID_BYTES));

/** The id of the key `sealed` names (format 1: the legacy id); null when it is no sealed value. */
export function keyIdOf(sealed: unknown): Uint8Array | null {
  if (!(sealed instanceof Uint8Array)) return null;
  if (sealed[0] === VERSION_1 && sealed.length >= 1 + NONCE_BYTES + 16) return LEGACY_KEY_ID;
  if (sealed[0] === VERSION && sealed.length >= 1 + KEY_ID_BYTES + NONCE_BYTES + 16) return sealed.subarray(1, 1 + KEY_ID_BYTES);
  return null;
}

/** Where a sealed value lives; becomes the additional data. */
export type Place = string;

export class Vault {
  readonly keyId: Uint8Array;

  constructor(
    private readonly key: CryptoKey,
    keyId: Uint8Array = LEGACY_KEY_ID
  ) {
    if (key.extractable) throw new VaultError('corrupt', 'vault key must be non-extractable');
    if (keyId.length !== KEY_ID_BYTES) throw new VaultError('corrupt', `a vault key id has ${KEY_ID_BYTES} bytes`);
    this.keyId = keyId.slice();
  }

  async sealBytes(place: Place, plain: Uint8Array): Promise<Uint8Array> {
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad(VERSION, place) }, this.key, ab(plain)));
    const out = new Uint8Array(1 + KEY_ID_BYTES + NONCE_BYTES + ct.length);
    out[0] = VERSION;
    out.set(this.keyId, 1);
    out.set(nonce, 1 + KEY_ID_BYTES);
    out.set(ct, 1 + KEY_ID_BYTES + NONCE_BYTES);
    return out;
  }

  async openBytes(place: Place, sealed: Uint8Array): Promise<Uint8Array> {
    const id = keyIdOf(sealed);
    if (!id) throw new VaultError('corrupt', 'sealed value is malformed');
    const v2 = sealed[0] === VERSION;
    // A format-1 value names no key: it opens only if it was sealed under this one.
    if (v2 && !equalBytes(id, this.keyId)) throw new VaultError('stale_key', 'sealed value is under another vault key (the passcode was set or removed meanwhile)');
    const start = v2 ? 1 + KEY_ID_BYTES : 1;
    try {
      const pt = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: ab(sealed.subarray(start, start + NONCE_BYTES)), additionalData: aad(sealed[0], place) },
        this.key,
        ab(sealed.subarray(start + NONCE_BYTES))
      );
      return new Uint8Array(pt);
    } catch {
      throw new VaultError('wrong_place', 'sealed value does not open here (tampered or moved)');
    }
  }

  async seal<T>(place: Place, value: T): Promise<Uint8Array> {
    return this.sealBytes(place, enc.encode(JSON.stringify(value)));
  }

  async open<T>(place: Place, sealed: Uint8Array): Promise<T> {
    const bytes = await this.openBytes(place, sealed);
    try {
      return JSON.parse(dec.decode(bytes)) as T;
    } catch {
      throw new VaultError('corrupt', 'sealed value is not valid JSON');
    }
  }
}

function aad(version: number, place: Place): Uint8Array<ArrayBuffer> {
  return enc.encode(`cinder/vault/v${version}/${place}`);
}

/** Our byte arrays never sit on a SharedArrayBuffer; this narrows the type WebCrypto asks for. */
const ab = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;
