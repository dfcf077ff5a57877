/**
 * Runs inside a dedicated Web Worker in headless Chromium (bundled by bench/crypto-browser.ts):
 * the same measurements as bench/crypto.ts (bench/crypto-measure.ts), posted back as JSON.
 */
import * as C from '../../src/lib/crypto/index.js';
import { measureBackend, warmUp } from '../crypto-measure.js';

self.onmessage = async () => {
  try {
    const detected = (await C.detectBackend()).name;
    await warmUp();
    const results = [];
    for (const b of [C.webcryptoBackend({ fallback: C.nobleBackend() }), C.nobleBackend()]) results.push(await measureBackend(b));
    postMessage({ ok: true, detected, userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, results });
  } catch (e) {
    postMessage({ ok: false, error: String((e as Error)?.stack ?? e) });
  }
};
