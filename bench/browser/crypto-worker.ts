/**
 * Runs inside a dedicated Web Worker in headless Chromium (bundled by bench/crypto-browser.ts):
 * the same measurements as bench/crypto.ts, posted back as JSON.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import * as C from '../../src/lib/crypto/index.js';
import { hkdfSha256, hmacSha256 } from '../../src/lib/crypto/kdf.js';
import { kemDecapsulate, kemEncapsulate, kemKeygen } from '../../src/lib/crypto/kem.js';

const TIME_BOX_MS = 1200;

async function rate(f: () => unknown, minOps = 20): Promise<number> {
  for (let i = 0; i < 10; i++) await f();
  let n = 0;
  const t0 = performance.now();
  while (n < minOps || performance.now() - t0 < TIME_BOX_MS) {
    await f();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}
const us = (opsPerSec: number) => 1e6 / opsPerSec;

async function benchBackend(backend: C.CryptoBackend) {
  const a = await backend.x25519Keygen(),
    b = await backend.x25519Keygen();
  const dh = await rate(() => backend.x25519(a, b.pub));
  const keygen = await rate(() => backend.x25519Keygen());
  const aead = await rate(() => xchacha20poly1305(new Uint8Array(32), new Uint8Array(24), new Uint8Array(59)).encrypt(new Uint8Array(1088)));
  const hkdf = await rate(() => hkdfSha256(new Uint8Array(32), new Uint8Array(32), new Uint8Array(17), 64));
  const hmac = await rate(() => hmacSha256(new Uint8Array(32), new Uint8Array(1)));
  const kem = await rate(() => {
    const k = kemKeygen();
    kemDecapsulate(kemEncapsulate(k.publicKey).cipherText, k.secretKey);
  });
  const id = await C.generateIdentity(backend);
  const sig = await backend.ed25519Sign(id.sign, new Uint8Array(200));
  const verify = await rate(() => backend.ed25519Verify(id.sign.pub, new Uint8Array(200), sig));
  const sign = await rate(() => backend.ed25519Sign(id.sign, new Uint8Array(200)));

  const alice = await C.generateIdentity(backend),
    bob = await C.generateIdentity(backend);
  const hs = await rate(async () => {
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob));
    const { accept } = await C.acceptRequest(backend, bob, request);
    await C.completeHandshake(backend, alice, pending, accept);
  }, 5);
  const hsFloor = 1e6 / (3 * us(keygen) + 7 * us(dh) + 2 * us(sign) + 2 * us(verify) + us(kem));

  const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob));
  const acc = await C.acceptRequest(backend, bob, request);
  let sa = await C.completeHandshake(backend, alice, pending, acc.accept);
  let sb = acc.session;
  const payload = new Uint8Array(1024);
  let seq = 0;
  const exchange = async (fromA: boolean) => {
    const frame = { seq: ++seq, ack: 0, type: 0x10, payload };
    if (fromA) {
      const r = C.encrypt(sa, frame, 0);
      sa = r.session;
      sb = (await C.decrypt(backend, sb, r.envelope, 0)).session;
    } else {
      const r = C.encrypt(sb, frame, 0);
      sb = r.session;
      sa = (await C.decrypt(backend, sa, r.envelope, 0)).session;
    }
  };
  const symUs = 2 * us(aead) + 2 * us(hkdf) + 4 * us(hmac);
  const oneWay = await rate(() => exchange(true), 200);
  let turn = false;
  const alt = await rate(() => exchange((turn = !turn)), 200);
  const altUs = symUs + us(keygen) + 2 * us(dh) + 2 * us(hkdf);
  return {
    backend: backend.name,
    prim: { dh, keygen, sign, verify, signVerify: 1e6 / (us(sign) + us(verify)), aead, hkdf, hmac, kem },
    hs,
    hsFloor,
    oneWay,
    oneWayFloor: 1e6 / symUs,
    alt,
    altFloor: 1e6 / altUs
  };
}

self.onmessage = async () => {
  try {
    const detected = (await C.detectBackend()).name;
    // Global warm-up (as bench/crypto.ts) so the first backend does not pay for JIT compilation.
    const w = C.webcryptoBackend();
    for (let i = 0; i < 3; i++) {
      const x = await C.generateIdentity(w),
        y = await C.generateIdentity(w);
      const { request, pending } = await C.createRequest(w, x, C.publicIdentity(y));
      const acc = await C.acceptRequest(w, y, request);
      let s = await C.completeHandshake(w, x, pending, acc.accept);
      for (let j = 0; j < 300; j++) s = C.encrypt(s, { seq: j + 1, ack: 0, type: 0x10, payload: new Uint8Array(1024) }, 0).session;
    }
    const results = [];
    for (const b of [C.webcryptoBackend(), C.nobleBackend()]) results.push(await benchBackend(b));
    postMessage({ ok: true, detected, userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, results });
  } catch (e) {
    postMessage({ ok: false, error: String((e as Error)?.stack ?? e) });
  }
};
