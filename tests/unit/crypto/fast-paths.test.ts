/** The speed work of issue #19 keeps the protocol's guarantees: key caches never answer for another
 * key or weaken a check, clones still own their secrets, and overlapping work keeps error precedence. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { equalBytes } from '../../../src/lib/crypto/bytes.js';
import { backends, makePair, rejects, seededRng } from './helpers.js';

const msg = new Uint8Array([1, 2, 3]);
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const bigToLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);

describe.each(backends.map((b) => [b.name, b] as const))('%s backend key caches', (_n, backend) => {
  it('a signing key is never answered for by a cached key with the same public half', async () => {
    const rng = seededRng('sign-cache');
    const a = { priv: rng(32), pub: new Uint8Array() };
    const b = { priv: rng(32), pub: new Uint8Array() };
    const aPub = ed25519.getPublicKey(a.priv);
    const bPub = ed25519.getPublicKey(b.priv);
    const sigA = await backend.ed25519Sign({ priv: a.priv, pub: aPub }, msg); // cached under aPub
    // B's seed claiming A's public key: the signature must be B's (as noble computes it), not A's.
    const sigB = await backend.ed25519Sign({ priv: b.priv, pub: aPub }, msg);
    expect(equalBytes(sigB, sigA)).toBe(false);
    expect(ed25519.verify(sigB, msg, bPub)).toBe(true);
  });

  it('a cached verification key does not relax the checks on later signatures', async () => {
    const seed = new Uint8Array(32).fill(3);
    const pub = ed25519.getPublicKey(seed);
    const sig = await backend.ed25519Sign({ priv: seed, pub }, msg);
    expect(await backend.ed25519Verify(pub, msg, sig)).toBe(true); // now cached
    const sPlusL = new Uint8Array(sig);
    sPlusL.set(bigToLe(leToBig(sig.subarray(32)) + L), 32); // same equation, S >= L
    expect(await backend.ed25519Verify(pub, msg, sPlusL)).toBe(false);
    const rNotPoint = new Uint8Array(sig);
    rNotPoint.set(new Uint8Array(32).fill(0xff).fill(0x7f, 31), 0); // y = 2^255-1 (non-canonical)
    expect(await backend.ed25519Verify(pub, msg, rNotPoint)).toBe(false);
    expect(await backend.ed25519Verify(pub, new Uint8Array([9]), sig)).toBe(false);
    expect(await backend.ed25519Verify(pub, msg, sig)).toBe(true);
  });

  it('a public key rejected once stays rejected (only keys that passed are cached)', async () => {
    const smallOrder = C.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    const sig = C.fromHex('0100000000000000000000000000000000000000000000000000000000000000' + '00'.repeat(32));
    for (let i = 0; i < 2; i++) expect(await backend.ed25519Verify(smallOrder, msg, sig)).toBe(false);
  });
});

describe('WebCrypto public-key imports', () => {
  it('concurrent DHs with one new peer key share one import and agree with noble', async () => {
    const subtle = globalThis.crypto.subtle;
    let imports = 0;
    const counting = new Proxy(subtle, {
      get(t, k) {
        if (k === 'importKey')
          return (...args: Parameters<SubtleCrypto['importKey']>) => {
            if (args[0] === 'raw' && (args[2] as Algorithm).name === 'X25519') imports++;
            return t.importKey(...args);
          };
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      }
    });
    const web = C.webcryptoBackend({ subtle: counting, fallback: C.nobleBackend() });
    const noble = C.nobleBackend();
    const rng = seededRng('shared-import');
    const mine = await Promise.all([0, 1, 2].map(() => noble.x25519Keygen(rng)));
    const peer = await noble.x25519Keygen(rng);
    const got = await Promise.all(mine.map((k) => web.x25519(k, peer.pub)));
    expect(imports).toBe(1);
    for (let i = 0; i < 3; i++) expect(got[i]).toEqual(await noble.x25519(mine[i]!, peer.pub));
  });
});

describe('sessions and handshakes', () => {
  it('a clone owns its secrets: zeroizing the original leaves the clone usable', async () => {
    const backend = backends[0]!;
    const { a, b } = await makePair(backend);
    const r = C.encrypt(a, { seq: 1, ack: 0, type: 0x10, payload: msg }, 0);
    C.zeroizeSession(a); // the caller wipes the old state after persisting the new one
    const d = await C.decrypt(backend, b, r.envelope, 0);
    C.zeroizeSession(b);
    expect(d.frame.payload).toEqual(msg);
    const back = C.encrypt(d.session, { seq: 1, ack: 0, type: 0x10, payload: msg }, 0);
    expect((await C.decrypt(backend, r.session, back.envelope, 0)).frame.payload).toEqual(msg);
  });

  it.each(backends.map((b) => [b.name, b] as const))('%s: a forged request with an invalid ML-KEM key still fails as bad_signature', async (_n, backend) => {
    const { alice, bob, request } = await makePair(backend);
    const forged = new Uint8Array(request);
    // ML-KEM public key starts after version, kind, chat id, both identities, the ephemeral key.
    forged.fill(0xff, 2 + 16 + 64 + 64 + 32, 2 + 16 + 64 + 64 + 32 + 384); // coefficients >= q
    await rejects(C.acceptRequest(backend, bob, forged, { expectedPeer: C.publicIdentity(alice) }), 'bad_signature');
  });
});
