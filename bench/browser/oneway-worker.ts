/**
 * Runs inside a dedicated Web Worker (bundled by bench/backlog.ts): the one-way ratchet rate of
 * Cinder's crypto with the backend the app itself picks (detectBackend), as bench/crypto-measure.ts
 * measures it (1 KiB frames, encrypt + decrypt, one direction), posted back as JSON.
 */
import * as C from '../../src/lib/crypto/index.js';
import { median, rate } from '../crypto-measure.js';

self.onmessage = async () => {
  try {
    const backend = await C.detectBackend();
    const alice = await C.generateIdentity(backend),
      bob = await C.generateIdentity(backend);
    const { request, pending } = await C.createRequest(backend, alice, C.publicIdentity(bob));
    const acc = await C.acceptRequest(backend, bob, request);
    let sa = await C.completeHandshake(backend, alice, pending, acc.accept);
    let sb = acc.session;
    const payload = new Uint8Array(1024);
    let seq = 0;
    const oneWay = async () => {
      const r = C.encrypt(sa, { seq: ++seq, ack: 0, type: 0x10, payload }, 0);
      sa = r.session;
      sb = (await C.decrypt(backend, sb, r.envelope, 0)).session;
    };
    const rounds: number[] = [];
    for (let i = 0; i < 3; i++) rounds.push(await rate(oneWay, 200, 1000));
    postMessage({ ok: true, backend: backend.name, userAgent: navigator.userAgent, rate: median(rounds), rounds });
  } catch (e) {
    postMessage({ ok: false, error: String((e as Error)?.stack ?? e) });
  }
};
