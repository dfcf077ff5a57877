/**
 * The device's identity keys, kept sealed in the vault (secrets/identity); read by the worker and the
 * service worker.
 *
 * Format 2 (binary): 'c' 'i' | u8 version=2 | u32 length | deviceId utf8 | u32 length | identity
 * (crypto's serializeIdentity, 130 bytes). Format 1, written before, is the UTF-8 JSON
 * {deviceId, identity: base64url}: still read, and rewritten as format 2 the first time it is loaded.
 * The opened plaintext and the serialized identity are wiped once parsed.
 */
import type { CryptoBackend } from '$lib/crypto/backend/types';
import { deserializeIdentity, serializeIdentity, type Identity } from '$lib/crypto/identity';
import { b64urlDecode, equalBytes, Reader, Writer, zeroize } from '$lib/crypto/bytes';
import type { CinderDB } from '$lib/store/db';
import { places } from '$lib/store/places';
import { VaultError, type Vault } from '$lib/store/vault';

export const IDENTITY_PLACE = places.secret('identity');
export const IDENTITY_FORMAT = 2;
const MAGIC = [0x63, 0x69]; // 'ci'
const LEGACY_JSON = 0x7b; // '{'
const MAX_DEVICE_ID = 1024;
const IDENTITY_LEN = 130;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export class NoIdentityError extends Error {
  readonly code = 'no_identity';
  constructor() {
    super('This device has no identity keys; sign in again');
  }
}

const unreadable = (why: string) => new VaultError('corrupt', `stored identity is unreadable (${why})`);

/** Format 2 of a device's identity. The result holds private keys: wipe it once sealed. */
export function encodeIdentity(deviceId: string, identity: Identity): Uint8Array {
  const bytes = serializeIdentity(identity);
  try {
    return new Writer().u8(MAGIC[0]!).u8(MAGIC[1]!).u8(IDENTITY_FORMAT).vbytes(enc.encode(deviceId)).vbytes(bytes).finish();
  } finally {
    zeroize(bytes);
  }
}

/**
 * Parses either format to the device id and serializeIdentity's bytes (a fresh copy: the caller
 * wipes it, and `plain`).
 */
export function decodeIdentity(plain: Uint8Array): { deviceId: string; bytes: Uint8Array; format: 1 | 2 } {
  if (plain[0] === LEGACY_JSON) {
    let o: unknown;
    try {
      o = JSON.parse(dec.decode(plain));
    } catch {
      throw unreadable('format 1 is not JSON');
    }
    const { deviceId, identity } = (o ?? {}) as Record<string, unknown>;
    const bytes = typeof identity === 'string' ? b64urlDecode(identity) : null;
    if (typeof deviceId !== 'string' || !bytes) throw unreadable('format 1 fields');
    return { deviceId, bytes, format: 1 };
  }
  if (plain[0] !== MAGIC[0] || plain[1] !== MAGIC[1]) throw unreadable('no format tag');
  if (plain[2] !== IDENTITY_FORMAT) throw unreadable(`unknown format ${plain[2]}`);
  try {
    const r = new Reader(plain, 'bad_state');
    r.bytes(3);
    const deviceId = dec.decode(r.vbytes(MAX_DEVICE_ID));
    const bytes = r.vbytes(IDENTITY_LEN);
    r.end();
    return { deviceId, bytes, format: 2 };
  } catch (e) {
    throw unreadable(e instanceof Error ? e.message : 'malformed');
  }
}

/** The stored identity; `backend` checks that its public halves belong to its private ones. */
export async function loadIdentity(db: CinderDB, vault: Vault, backend: CryptoBackend): Promise<Identity> {
  const row = await db.secrets.get('identity');
  if (!row) throw new NoIdentityError();
  const plain = await vault.openBytes(IDENTITY_PLACE, row.box);
  let parsed;
  try {
    parsed = decodeIdentity(plain);
  } finally {
    zeroize(plain);
  }
  try {
    const identity = await deserializeIdentity(parsed.bytes, backend);
    if (parsed.format === 1) await upgradeIdentity(db, vault, row.box, parsed.deviceId, identity);
    return identity;
  } finally {
    zeroize(parsed.bytes);
  }
}

/**
 * Rewrites a format-1 identity as format 2, unless the row changed meanwhile (another context did it,
 * or a new sign-in stored other keys). A failure only leaves format 1 for the next load.
 */
async function upgradeIdentity(db: CinderDB, vault: Vault, old: Uint8Array, deviceId: string, identity: Identity): Promise<void> {
  const plain = encodeIdentity(deviceId, identity);
  try {
    const box = await vault.sealBytes(IDENTITY_PLACE, plain);
    await db.transaction('rw', db.secrets, async () => {
      const now = await db.secrets.get('identity');
      if (now && equalBytes(now.box, old)) await db.secrets.put({ key: 'identity', box });
    });
  } catch {
    // Still readable as format 1; tried again at the next load.
  } finally {
    zeroize(plain);
  }
}

/** Seals a new device's identity into the vault (format 2; the serialized copy is wiped after). */
export async function storeIdentity(db: CinderDB, vault: Vault, deviceId: string, identity: Identity): Promise<void> {
  const plain = encodeIdentity(deviceId, identity);
  try {
    await db.secrets.put({ key: 'identity', box: await vault.sealBytes(IDENTITY_PLACE, plain) });
  } finally {
    zeroize(plain);
  }
}
