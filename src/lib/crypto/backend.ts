/**
 * CryptoBackend: the asymmetric primitives (and HKDF/HMAC, self-tested like the rest), behind one small async
 * interface with implementations that must agree bit-for-bit (see ./backend/):
 *  - webcryptoBackend({ fallback }): WebCrypto X25519 / Ed25519 / HKDF / HMAC (native speed);
 *  - nobleBackend(): @noble/curves + @noble/hashes, the portable fallback and reference;
 *  - detectBackend() / selectBackend({ reference }): per primitive, WebCrypto if it passes a self-test against noble's
 *    pinned answers on the inputs that break real engines, else noble; WebCrypto calls that throw anyway
 *    are retried on noble.
 * Per-message symmetric work (chain KDFs, XChaCha20-Poly1305) is always synchronous noble code, see kdf.ts.
 *
 * All wrappers validate lengths first and normalise failures: X25519 with an all-zero result ->
 * ProtocolError('low_order'); Ed25519 verify returns false on any malformed input instead of throwing.
 */
export { PRIMITIVES, type CryptoBackend, type FallbackHook, type KeyPair, type Primitive, type Source } from './backend/types.js';
export { nobleBackend } from './backend/noble.js';
export { webcryptoBackend, EngineError, type WebCryptoOptions } from './backend/webcrypto.js';
export { selfTest, type SelfTestReport } from './backend/self-test.js';
export { selectBackend, type BackendStats, type SelectedBackend, type SelectOptions } from './backend/select.js';
export { detectBackend } from './backend/detect.js';
