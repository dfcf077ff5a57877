/** Regenerates the protocol known-answer vectors with BOTH backends and compares them with the
 * checked-in fixture (tests/fixtures/protocol-vectors.json, also reproduced in docs/protocol.md). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as C from '../../../src/lib/crypto/index.js';
import { fromHex } from '../../../src/lib/crypto/bytes.js';
import { backends, seededRng } from './helpers.js';
import { generateVectors, KAT_NOW, type Vectors } from './vectors.js';

const FIXTURE = new URL('../../fixtures/protocol-vectors.json', import.meta.url);

describe('protocol known-answer vectors', () => {
  it('fixture exists (or is written with CINDER_WRITE_VECTORS=1)', async () => {
    if (process.env.CINDER_WRITE_VECTORS === '1') {
      writeFileSync(FIXTURE, JSON.stringify(await generateVectors(backends[1]), null, 2) + '\n');
    }
    expect(existsSync(FIXTURE)).toBe(true);
  });

  it.each(backends.map((b) => [b.name, b] as const))('%s backend reproduces every field', async (_n, backend) => {
    const expected: Vectors = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const got = await generateVectors(backend);
    for (const k of Object.keys(expected) as (keyof Vectors)[]) expect(got[k], k).toEqual(expected[k]);
  });

  it('docs/protocol.md reproduces the vectors', () => {
    const v: Vectors = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8').replace(/\s+/g, '');
    for (const h of [v.transcriptHash, v.rootKey0, v.chainKey0, v.fingerprint, v.request, v.accept, ...v.messages.map((m) => m.envelope)]) {
      expect(doc.includes(h), h.slice(0, 32)).toBe(true);
    }
  });

  it('the comparison is sensitive: another seed gives different vectors', async () => {
    const expected: Vectors = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const other = await generateVectors(backends[0], 'another-seed');
    expect(other.request).not.toBe(expected.request);
    expect(other.messages[0].envelope).not.toBe(expected.messages[0].envelope);
  });

  it('fixture states deserialize and are consistent with the recorded fingerprint', async () => {
    const v: Vectors = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const backend = backends[0];
    await C.deserializeIdentity(fromHex(v.alice.identity), backend); // identities validate (public halves match)
    await C.deserializeIdentity(fromHex(v.bob.identity), backend);
    expect(C.parseRequest(fromHex(v.request)).chatId).toEqual(fromHex(v.chatId));
    const a = C.deserializeSession(fromHex(v.finalState.initiator));
    expect(C.toHex(C.fingerprint(a))).toBe(v.fingerprint);
    const d = await C.decrypt(backend, C.deserializeSession(fromHex(v.finalState.acceptor)), fromHex(v.messages[4].envelope), KAT_NOW).catch((e) => e);
    expect(C.isProtocolError(d, 'replay')).toBe(true); // already consumed in the final state
  });
});

describe('both backends agree on keys with zero bytes at either end (1 in 128 of all keys)', () => {
  const forms: [string, (k: Uint8Array) => void][] = [
    ['first byte 0', (k) => (k[0] = 0)],
    ['first two bytes 0', (k) => (k[0] = k[1] = 0)],
    ['last byte 0', (k) => (k[31] = 0)],
    ['first byte < 8 (0 once clamped)', (k) => (k[0] &= 7)]
  ];
  it.each(forms)('%s: X25519 public key and DH, Ed25519 public key and signature', async (_l, shape) => {
    // Raw WebCrypto (no noble safety net), so every answer below is the engine's own.
    const w = C.webcryptoBackend({ fallback: null });
    const n = backends[1];
    const rng = seededRng('zero-bytes ' + _l);
    const peer = await n.x25519Keygen(rng);
    for (let i = 0; i < 16; i++) {
      const k = rng(32);
      shape(k);
      const xPub = await w.x25519PublicKey(k);
      expect(C.toHex(xPub)).toBe(C.toHex(await n.x25519PublicKey(k)));
      const dh = await w.x25519({ priv: k, pub: xPub }, peer.pub);
      expect(C.toHex(dh)).toBe(C.toHex(await n.x25519({ priv: k, pub: xPub }, peer.pub)));
      expect(C.toHex(dh)).toBe(C.toHex(await w.x25519(peer, xPub)));
      const kp = { priv: k, pub: await w.ed25519PublicKey(k) };
      expect(C.toHex(kp.pub)).toBe(C.toHex(await n.ed25519PublicKey(k)));
      const sig = await w.ed25519Sign(kp, k);
      expect(C.toHex(sig)).toBe(C.toHex(await n.ed25519Sign(kp, k)));
      for (const b of [w, n]) expect(await b.ed25519Verify(kp.pub, k, sig)).toBe(true);
    }
  });
});
