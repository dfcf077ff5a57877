/**
 * The vault: every secret the client keeps in IndexedDB is sealed with AES-256-GCM under one
 * non-extractable CryptoKey, itself stored in IndexedDB. Page JavaScript and a dump of IndexedDB
 * see only ciphertext and an opaque key handle; the raw key bytes never exist in JS memory.
 *
 * Each sealed value is bound (as AES-GCM additional data) to where it lives — table and row id —
 * so a ciphertext copied into another row fails to open instead of being misread.
 */

const VERSION = 1;
const NONCE_BYTES = 12;
const enc = new TextEncoder();
const dec = new TextDecoder();

export class VaultError extends Error {
  constructor(
    readonly code: 'locked' | 'corrupt' | 'wrong_place',
    message: string
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export async function createVaultKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Where a sealed value lives; becomes the additional data. */
export type Place = string;

export class Vault {
  constructor(private readonly key: CryptoKey) {
    if (key.extractable) throw new VaultError('corrupt', 'vault key must be non-extractable');
  }

  async sealBytes(place: Place, plain: Uint8Array): Promise<Uint8Array> {
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad(place) }, this.key, ab(plain)));
    const out = new Uint8Array(1 + NONCE_BYTES + ct.length);
    out[0] = VERSION;
    out.set(nonce, 1);
    out.set(ct, 1 + NONCE_BYTES);
    return out;
  }

  async openBytes(place: Place, sealed: Uint8Array): Promise<Uint8Array> {
    if (!(sealed instanceof Uint8Array) || sealed.length < 1 + NONCE_BYTES + 16 || sealed[0] !== VERSION) {
      throw new VaultError('corrupt', 'sealed value is malformed');
    }
    try {
      const pt = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: ab(sealed.subarray(1, 1 + NONCE_BYTES)), additionalData: aad(place) },
        this.key,
        ab(sealed.subarray(1 + NONCE_BYTES))
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

function aad(place: Place): Uint8Array<ArrayBuffer> {
  return enc.encode(`cinder/vault/v${VERSION}/${place}`);
}

/** Our byte arrays never sit on a SharedArrayBuffer; this narrows the type WebCrypto asks for. */
const ab = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;
