/**
 * Session state of one secret chat (one Double Ratchet). Plain data: Uint8Arrays and numbers only,
 * so it clones, serializes (serialize.ts) and crosses postMessage boundaries without custom code.
 * API functions never mutate a Session they were given: they clone, work on the clone, and return it.
 */
import type { KeyPair } from './backend.js';
import { zeroize } from './bytes.js';
import type { Direction } from './envelope.js';
import type { PublicIdentity } from './identity.js';
import type { ReceiverChain } from './receiver-chain.js';
import type { SkippedKey } from './skipped-keys.js';

export type Role = 'initiator' | 'acceptor';

export interface SenderChain {
  chainKey: Uint8Array;
  n: number; // number of the next message to send
}

export interface Session {
  readonly role: Role;
  readonly chatId: Uint8Array; // 16
  readonly localIdentity: PublicIdentity;
  readonly remoteIdentity: PublicIdentity;
  readonly transcriptHash: Uint8Array; // 32, fixed for the chat's lifetime
  rootKey: Uint8Array;
  ratchetKey: KeyPair; // our current DH ratchet key pair
  sending: SenderChain;
  previousCounter: number; // pn: length of our previous sending chain
  receiving: ReceiverChain | null; // null until the acceptor receives the first message
  skipped: SkippedKey[];
  pastRemoteKeys: Uint8Array[]; // recent peer ratchet keys we moved past (replay classification)
  confirmed: boolean; // a message from the peer has decrypted (key confirmation)
  /** Version-2 chats: the per-direction seeds of sealed addressing (mailbox.ts); null for version 1.
   * Fixed for the chat's lifetime, secret (wiped by zeroizeSession). */
  readonly seal: SealSeeds | null;
}

export interface SealSeeds {
  readonly send: Uint8Array; // 32: our sending direction's seed
  readonly recv: Uint8Array; // 32: the peer's sending direction's seed
}

export const sendDirection = (role: Role): Direction => (role === 'initiator' ? 0 : 1);
export const receiveDirection = (role: Role): Direction => (role === 'initiator' ? 1 : 0);

const c = (b: Uint8Array) => b.slice();

/**
 * Copy for clone-then-commit: every secret buffer (the ones zeroizeSession wipes) is copied, so either
 * object can be zeroized safely. Public buffers (ids, public keys, the transcript hash) are never
 * written after creation and are shared: copying them was most of a clone's cost on every message.
 */
export function cloneSession(s: Session): Session {
  return {
    role: s.role,
    chatId: s.chatId,
    localIdentity: s.localIdentity,
    remoteIdentity: s.remoteIdentity,
    transcriptHash: s.transcriptHash,
    rootKey: c(s.rootKey),
    ratchetKey: { priv: c(s.ratchetKey.priv), pub: s.ratchetKey.pub },
    sending: { chainKey: c(s.sending.chainKey), n: s.sending.n },
    previousCounter: s.previousCounter,
    receiving: s.receiving ? { ratchetPub: s.receiving.ratchetPub, chainKey: c(s.receiving.chainKey), n: s.receiving.n } : null,
    skipped: s.skipped.map((k) => ({ ratchetPub: k.ratchetPub, n: k.n, messageKey: c(k.messageKey), storedAt: k.storedAt })),
    pastRemoteKeys: s.pastRemoteKeys.slice(),
    confirmed: s.confirmed,
    seal: s.seal ? { send: c(s.seal.send), recv: c(s.seal.recv) } : null
  };
}

/** Wipes every secret in a session object that is no longer needed (e.g. the pre-decrypt state
 * after the new state has been persisted). The object must not be used afterwards. */
export function zeroizeSession(s: Session): void {
  zeroize(s.rootKey, s.ratchetKey.priv, s.sending.chainKey, s.receiving?.chainKey, s.seal?.send, s.seal?.recv);
  for (const k of s.skipped) zeroize(k.messageKey);
}
