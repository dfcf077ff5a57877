/**
 * Device identity: an Ed25519 key pair (transcript signatures) and an X25519 key pair (handshake key
 * agreement). The two public halves (64 bytes) are what the relay publishes.
 */
import type { CryptoBackend, KeyPair } from './backend.js';
import { concat, equalBytes, randomBytes, Reader, type Rng } from './bytes.js';
import { fail } from './errors.js';

export interface Identity {
  readonly sign: KeyPair; // Ed25519: priv = 32-byte seed
  readonly dh: KeyPair; // X25519
}

export interface PublicIdentity {
  readonly signPub: Uint8Array; // 32
  readonly dhPub: Uint8Array; // 32
}

export const IDENTITY_VERSION = 1;
const KIND_SECRET = 0x49; // 'I'
const KIND_PUBLIC = 0x69; // 'i'

export async function generateIdentity(backend: CryptoBackend, rng: Rng = randomBytes): Promise<Identity> {
  const seed = rng(32);
  const signPub = await backend.ed25519PublicKey(seed);
  const dh = await backend.x25519Keygen(rng);
  return { sign: { priv: seed, pub: signPub }, dh };
}

export function publicIdentity(id: Identity): PublicIdentity {
  return { signPub: id.sign.pub.slice(), dhPub: id.dh.pub.slice() };
}

/** The 64 raw bytes signPub || dhPub, as embedded in handshake messages and the fingerprint. */
export function identityBytes(p: PublicIdentity): Uint8Array {
  return concat(p.signPub, p.dhPub);
}

export function samePublicIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return equalBytes(a.signPub, b.signPub) && equalBytes(a.dhPub, b.dhPub);
}

/** 66 bytes: version || 'i' || signPub || dhPub. */
export function encodePublicIdentity(p: PublicIdentity): Uint8Array {
  return concat(new Uint8Array([IDENTITY_VERSION, KIND_PUBLIC]), p.signPub, p.dhPub);
}

export function decodePublicIdentity(bytes: Uint8Array): PublicIdentity {
  const r = new Reader(bytes);
  if (r.u8() !== IDENTITY_VERSION) fail('bad_version', 'public identity version');
  if (r.u8() !== KIND_PUBLIC) fail('malformed', 'not a public identity');
  const out = { signPub: r.bytes(32), dhPub: r.bytes(32) };
  r.end();
  return out;
}

/** 130 bytes: version || 'I' || ed seed || ed pub || x priv || x pub. Contains secrets: store encrypted. */
export function serializeIdentity(id: Identity): Uint8Array {
  return concat(new Uint8Array([IDENTITY_VERSION, KIND_SECRET]), id.sign.priv, id.sign.pub, id.dh.priv, id.dh.pub);
}

/**
 * Validates structure and that both public halves really belong to the private halves (computed by
 * `backend`, so loading an identity needs no curve code of its own).
 */
export async function deserializeIdentity(bytes: Uint8Array, backend: CryptoBackend): Promise<Identity> {
  const r = new Reader(bytes, 'bad_state');
  if (r.u8() !== IDENTITY_VERSION) fail('bad_version', 'identity version');
  if (r.u8() !== KIND_SECRET) fail('bad_state', 'not an identity');
  const sign = { priv: r.bytes(32), pub: r.bytes(32) };
  const dh = { priv: r.bytes(32), pub: r.bytes(32) };
  r.end();
  if (!equalBytes(await backend.ed25519PublicKey(sign.priv), sign.pub)) fail('bad_state', 'Ed25519 public key mismatch');
  if (!equalBytes(await backend.x25519PublicKey(dh.priv), dh.pub)) fail('bad_state', 'X25519 public key mismatch');
  return { sign, dh };
}
