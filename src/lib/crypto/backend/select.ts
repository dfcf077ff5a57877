/** Backend detection. */
import { fromHex } from '../bytes.js';
import { nobleBackend } from './noble.js';
import type { CryptoBackend } from './types.js';
import { webcryptoBackend } from './webcrypto.js';

let detected: Promise<CryptoBackend> | null = null;

/**
 * Feature-test WebCrypto X25519 + Ed25519 once (RFC 7748 §6.1 and RFC 8032 test 1 vectors, checked
 * against noble) and return the WebCrypto backend if it works, else the noble backend.
 */
export function detectBackend(): Promise<CryptoBackend> {
  detected ??= (async () => {
    const noble = nobleBackend();
    try {
      const wc = webcryptoBackend();
      const a = { priv: fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), pub: fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a') };
      const bPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const [s1, s2] = await Promise.all([wc.x25519(a, bPub), noble.x25519(a, bPub)]);
      const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
      const edPub = await wc.ed25519PublicKey(seed);
      const sig = await wc.ed25519Sign({ priv: seed, pub: edPub }, new Uint8Array(0));
      const ok = s1.every((v, i) => v === s2[i]) && (await noble.ed25519Verify(edPub, new Uint8Array(0), sig));
      return ok ? wc : noble;
    } catch {
      return noble;
    }
  })();
  return detected;
}
