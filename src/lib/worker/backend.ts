/**
 * The worker's crypto backend: WebCrypto for every primitive that passes its self-test, noble for the
 * rest and for calls the engine throws on, as crypto's detectBackend() — but noble (Ed25519/X25519,
 * ~13 KB brotli) is a dynamic import made on its first call. So an engine whose WebCrypto passes does
 * not download it to sign up or open the chat list; the secret-chat code brings it along anyway. A
 * failed load (offline before the files were cached) is not remembered: the next call tries again.
 * The service worker cannot import() at all (and bundles noble through crypto's detectBackend()).
 */
import { selectBackend, type SelectedBackend } from '$lib/crypto/backend/select';
import type { CryptoBackend } from '$lib/crypto/backend/types';

type NobleModule = typeof import('./noble');
let loading: Promise<NobleModule> | null = null;

const loadNoble = (): Promise<NobleModule> =>
  (loading ??= import('./noble').catch((e: unknown) => {
    loading = null;
    throw e;
  }));

/** nobleBackend(), loaded on the first call of any of its primitives. */
export function lazyNobleBackend(load: () => Promise<NobleModule> = loadNoble): CryptoBackend {
  let noble: CryptoBackend | null = null;
  const get = async (): Promise<CryptoBackend> => (noble ??= (await load()).nobleBackend());
  return {
    name: 'noble',
    x25519Keygen: async (rng) => (await get()).x25519Keygen(rng),
    x25519PublicKey: async (priv) => (await get()).x25519PublicKey(priv),
    x25519: async (my, theirPub) => (await get()).x25519(my, theirPub),
    ed25519PublicKey: async (seed) => (await get()).ed25519PublicKey(seed),
    ed25519Sign: async (my, msg) => (await get()).ed25519Sign(my, msg),
    ed25519Verify: async (pub, msg, sig) => (await get()).ed25519Verify(pub, msg, sig),
    hkdfSha256: async (ikm, salt, info, length) => (await get()).hkdfSha256(ikm, salt, info, length),
    hmacSha256: async (key, msg) => (await get()).hmacSha256(key, msg)
  };
}

let detected: Promise<SelectedBackend> | null = null;

/** The selection, once per worker. */
export function detectBackend(): Promise<SelectedBackend> {
  detected ??= selectBackend({ reference: lazyNobleBackend() });
  return detected;
}
