/**
 * Double Ratchet (Signal spec, revision 4) over the Session state:
 *  - encrypt: one symmetric chain step per message (per-message forward secrecy);
 *  - decrypt: a new peer ratchet key triggers a DH ratchet step (post-compromise recovery):
 *      RK, CKr = KDF_RK(RK, DH(our ratchet key, their new key))
 *      fresh ratchet key pair;  RK, CKs = KDF_RK(RK, DH(new pair, their new key))
 * Clone-then-commit: decrypt works on a copy (every secret copied, see cloneSession) and returns it
 * only if everything (including the AEAD tag and the inner frame) checked out; on any error the
 * caller's session is untouched.
 */
import type { CryptoBackend } from './backend.js';
import { equalBytes, randomBytes, zeroize, type Rng } from './bytes.js';
import { advanceChainKey } from './chain-key.js';
import { decodeEnvelope, encodeHeader, type Header } from './envelope.js';
import { fail } from './errors.js';
import { decodeFrame, encodeFrame, type Frame } from './frame.js';
import { LIMITS } from './limits.js';
import { openWithMessageKey, sealWithMessageKey } from './message-key.js';
import { checkJump, nextMessageKey, skipUntil, type ReceiverChain } from './receiver-chain.js';
import { advanceRootKey } from './root-key.js';
import { cloneSession, receiveDirection, sendDirection, zeroizeSession, type Session } from './session.js';
import { findSkipped, pruneSkipped } from './skipped-keys.js';

export interface EncryptResult {
  session: Session;
  envelope: Uint8Array;
}

export interface DecryptResult {
  session: Session;
  frame: Frame;
  header: Header;
}

/** Encrypts one frame. Synchronous: the sending chain always exists (see handshake.ts). */
export function encrypt(session: Session, frame: Frame, now: number): EncryptResult {
  const s = cloneSession(session);
  try {
    pruneSkipped(s.skipped, now);
    if (s.sending.n >= LIMITS.maxCounter) fail('limit', 'sending chain exhausted');
    const step = advanceChainKey(s.sending.chainKey);
    const headerBytes = encodeHeader({
      chatId: s.chatId,
      direction: sendDirection(s.role),
      ratchetPub: s.ratchetKey.pub,
      pn: s.previousCounter,
      n: s.sending.n
    });
    const padded = encodeFrame(frame);
    const ct = sealWithMessageKey(step.messageKey, headerBytes, padded);
    zeroize(step.messageKey, padded, s.sending.chainKey);
    s.sending = { chainKey: step.chainKey, n: s.sending.n + 1 };
    const envelope = new Uint8Array(headerBytes.length + ct.length);
    envelope.set(headerBytes);
    envelope.set(ct, headerBytes.length);
    return { session: s, envelope };
  } catch (e) {
    zeroizeSession(s);
    throw e;
  }
}

export async function decrypt(backend: CryptoBackend, session: Session, envelope: Uint8Array, now: number, rng: Rng = randomBytes): Promise<DecryptResult> {
  const { header, headerBytes, ciphertext } = decodeEnvelope(envelope);
  if (!equalBytes(header.chatId, session.chatId)) fail('wrong_chat');
  if (header.direction !== receiveDirection(session.role)) fail('wrong_direction');

  const s = cloneSession(session);
  try {
    pruneSkipped(s.skipped, now);
    const messageKey = await messageKeyFor(backend, s, header, now, rng);
    let padded: Uint8Array;
    try {
      padded = openWithMessageKey(messageKey, headerBytes, ciphertext);
    } finally {
      zeroize(messageKey);
    }
    const frame = decodeFrame(padded);
    zeroize(padded);
    s.confirmed = true;
    return { session: s, frame, header };
  } catch (e) {
    zeroizeSession(s);
    throw e;
  }
}

/** Finds or derives the message key for `h`, mutating the (cloned) session `s`. */
async function messageKeyFor(backend: CryptoBackend, s: Session, h: Header, now: number, rng: Rng): Promise<Uint8Array> {
  // 1. A key we skipped earlier (out-of-order delivery). Single use: removed from the store.
  const i = findSkipped(s.skipped, h.ratchetPub, h.n);
  if (i >= 0) {
    const [k] = s.skipped.splice(i, 1);
    return k!.messageKey;
  }
  // 2. The current receiving chain.
  if (s.receiving && equalBytes(h.ratchetPub, s.receiving.ratchetPub)) {
    if (h.n < s.receiving.n) fail('replay', 'message number already used');
    skipUntil(s.receiving, h.n, s.skipped, now);
    return nextMessageKey(s.receiving);
  }
  // 3. A chain we already moved past: its remaining keys are in the skipped store or gone.
  if (s.pastRemoteKeys.some((k) => equalBytes(k, h.ratchetPub))) fail('replay', 'old chain');
  // 4. New peer ratchet key: DH ratchet step. Check both jumps before any expensive work.
  if (s.receiving) checkJump(s.receiving, h.pn);
  if (h.n > LIMITS.maxSkipPerChain) fail('too_far_ahead', `jump of ${h.n}`);
  if (s.receiving) {
    skipUntil(s.receiving, h.pn, s.skipped, now);
    s.pastRemoteKeys.push(s.receiving.ratchetPub);
    if (s.pastRemoteKeys.length > LIMITS.maxPastRemoteKeys) s.pastRemoteKeys.shift();
    zeroize(s.receiving.chainKey);
  }
  // DH(old pair, new key) runs while the new pair is made; DH(new pair, new key) starts as soon as
  // that pair exists, without waiting for the first DH.
  const [dhRecv, [fresh, dhSend]] = await Promise.all([
    backend.x25519(s.ratchetKey, h.ratchetPub),
    backend.x25519Keygen(rng).then(async (pair) => [pair, await backend.x25519(pair, h.ratchetPub)] as const)
  ]);
  const recv = advanceRootKey(s.rootKey, dhRecv);
  zeroize(dhRecv, s.rootKey);
  const send = advanceRootKey(recv.rootKey, dhSend);
  zeroize(dhSend, recv.rootKey, s.ratchetKey.priv, s.sending.chainKey);

  const receiving: ReceiverChain = { ratchetPub: h.ratchetPub.slice(), chainKey: recv.chainKey, n: 0 };
  s.rootKey = send.rootKey;
  s.ratchetKey = fresh;
  s.previousCounter = s.sending.n;
  s.sending = { chainKey: send.chainKey, n: 0 };
  s.receiving = receiving;
  skipUntil(receiving, h.n, s.skipped, now);
  return nextMessageKey(receiving);
}
