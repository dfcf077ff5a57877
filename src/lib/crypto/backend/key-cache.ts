/**
 * Tiny LRU of imported CryptoKeys, keyed by the public key (one cache per algorithm). Importing dominates a
 * WebCrypto DH (~40us JWK import vs ~65us derive); in the ratchet every private key is used twice
 * and every peer key twice, so caching saves ~30% per DH step. Private entries also keep a copy of
 * the raw private key, compared in constant time, so a stale entry can never answer for another key;
 * evicted entries are wiped. Cap 16 entries by default: old ratchet keys leave the cache quickly.
 */
import { equalBytes, zeroize } from '../bytes.js';

export class KeyCache {
  private m = new Map<string, { priv: Uint8Array | null; key: CryptoKey }>();
  constructor(private readonly cap = 16) {}
  get(pub: Uint8Array, priv: Uint8Array | null): CryptoKey | undefined {
    const id = toHexStr(pub);
    const e = this.m.get(id);
    if (!e || (priv && !(e.priv && equalBytes(e.priv, priv)))) return undefined;
    this.m.delete(id);
    this.m.set(id, e);
    return e.key;
  }
  set(pub: Uint8Array, priv: Uint8Array | null, key: CryptoKey): void {
    const id = toHexStr(pub);
    const old = this.m.get(id);
    if (old) zeroize(old.priv);
    this.m.delete(id);
    this.m.set(id, { priv: priv ? priv.slice() : null, key });
    while (this.m.size > this.cap) {
      const [first, e] = this.m.entries().next().value!;
      zeroize(e.priv);
      this.m.delete(first);
    }
  }
}

function toHexStr(a: Uint8Array): string {
  let h = '';
  for (let i = 0; i < a.length; i++) h += (a[i]! < 16 ? '0' : '') + a[i]!.toString(16);
  return h;
}
