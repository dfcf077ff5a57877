/** The backend contract shared by every implementation (WebCrypto, noble, and the per-primitive mix). */
import type { Rng } from '../bytes.js';

export interface KeyPair {
  readonly priv: Uint8Array; // 32 bytes (X25519 scalar before clamping / Ed25519 seed)
  readonly pub: Uint8Array; // 32 bytes
}

/** Where a primitive is computed. */
export type Source = 'webcrypto' | 'noble';

export interface CryptoBackend {
  /** 'mixed' when selection took some primitives from each (see SelectedBackend.sources). */
  readonly name: Source | 'mixed';
  /** Fresh X25519 key pair; priv = rng(32) (see webcrypto note on the default RNG fast path). */
  x25519Keygen(rng?: Rng): Promise<KeyPair>;
  x25519PublicKey(priv: Uint8Array): Promise<Uint8Array>;
  /** X25519(my.priv, theirPub); throws ProtocolError('low_order') for an all-zero result. */
  x25519(my: KeyPair, theirPub: Uint8Array): Promise<Uint8Array>;
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  ed25519Sign(my: KeyPair, msg: Uint8Array): Promise<Uint8Array>;
  /** Strict RFC 8032 verification (canonical encodings, S < L); false on malformed input. */
  ed25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean>;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, msg: Uint8Array): Promise<Uint8Array>;
}

/** The independently selectable operations of a backend. */
export type Primitive = Exclude<keyof CryptoBackend, 'name'>;

export const PRIMITIVES: readonly Primitive[] = [
  'x25519Keygen',
  'x25519PublicKey',
  'x25519',
  'ed25519PublicKey',
  'ed25519Sign',
  'ed25519Verify',
  'hkdfSha256',
  'hmacSha256'
];

/** Called when a WebCrypto call threw (not a ProtocolError) and the reference answered instead. */
export type FallbackHook = (primitive: Primitive, error: unknown) => void;
