/**
 * Cinder secret-chat protocol library: pure (no I/O, storage, network or DOM), deterministic given an
 * injected RNG, runs in browsers, Web Workers, service workers and Node >= 20. Spec: docs/protocol.md.
 *
 * Typical flow
 *   const backend = await detectBackend();                        // per primitive: WebCrypto if it passes, else noble
 *   const me = await generateIdentity(backend);                   // publish encodePublicIdentity(publicIdentity(me))
 *   // A:
 *   const { request, pending } = await createRequest(backend, alice, bobPublic);
 *   // B:
 *   const { accept, session: sb } = await acceptRequest(backend, bob, request, { expectedPeer: alicePublic });
 *   // A:
 *   const sa = await completeHandshake(backend, alice, pending, accept);
 *   // both: compare formatFingerprint(fingerprint(s)) out of band
 *   // version 2 (sealed addressing): createRequest(backend, alice, bobPublic, { version: 2 }); then per message
 *   //   const k = mailboxKeys(session.seal.send, epochOf(Date.now()));
 *   //   post sealEnvelope(envelope, k.header) to k.mailbox with capMac(k.cap, id, body); the receiver
 *   //   unsealEnvelope(sealed, mailboxKeys(session.seal.recv, epoch).header) and decrypt()s as usual.
 *   const { outbox, item } = outboxPush(newOutbox(), 0x10, payload);
 *   const { session, envelope } = encrypt(sa, dataFrame(item, inboxAck(inbox)), Date.now());
 *   const { session: sb2, frame } = await decrypt(backend, sb, envelope, Date.now());
 *   const r = inboxReceive(inbox, frame);                         // r.release in order, r.resend gaps
 *
 * All state transitions return NEW state objects and never mutate their inputs; a thrown
 * ProtocolError (typed `code`) means the input state is still valid and unchanged.
 */
export { ProtocolError, isProtocolError, type ProtocolErrorCode } from './errors.js';
export { randomBytes, zeroize, toHex, fromHex, equalBytes, type Rng } from './bytes.js';
export {
  nobleBackend,
  webcryptoBackend,
  detectBackend,
  selectBackend,
  type CryptoBackend,
  type KeyPair,
  type Primitive,
  type SelectedBackend,
  type BackendStats
} from './backend.js';
export {
  generateIdentity,
  publicIdentity,
  encodePublicIdentity,
  decodePublicIdentity,
  serializeIdentity,
  deserializeIdentity,
  samePublicIdentity,
  type Identity,
  type PublicIdentity
} from './identity.js';
export {
  createRequest,
  acceptRequest,
  completeHandshake,
  zeroizePending,
  parseRequest,
  parseAccept,
  REQUEST_LEN,
  ACCEPT_LEN,
  HANDSHAKE_VERSIONS,
  type PendingHandshake,
  type AcceptOptions,
  type RequestOptions,
  type HandshakeVersion,
  type ParsedRequest,
  type ParsedAccept
} from './handshake.js';
export { encrypt, decrypt, type EncryptResult, type DecryptResult } from './ratchet.js';
export { cloneSession, zeroizeSession, type Session, type Role, type SealSeeds } from './session.js';
export { EPOCH_MS, MAILBOX_ID_LEN, epochOf, mailboxKeys, headerKey, capMac, blobToken, type MailboxKeys } from './mailbox.js';
export { sealEnvelope, unsealEnvelope, SEALED_VERSION, SEALED_KIND, SEALED_HEADER_LEN, SEALED_OVERHEAD, MIN_SEALED_LEN } from './sealed-envelope.js';
export { fingerprint, computeFingerprint, formatFingerprint, FINGERPRINT_LEN } from './fingerprint.js';
export { serializeSession, deserializeSession, serializePending, deserializePending, STATE_VERSION } from './serialize.js';
export { encodeFrame, decodeFrame, parseResend, FrameType, type Frame } from './frame.js';
export { paddedLength, MIN_PADDED } from './padding.js';
export { decodeEnvelope, type Header, type Direction } from './envelope.js';
export { LIMITS } from './limits.js';
export {
  newInbox,
  newOutbox,
  inboxReceive,
  inboxAck,
  missingRanges,
  outboxPush,
  outboxAck,
  outboxResend,
  outboxPending,
  dataFrame,
  ackFrame,
  resendFrame,
  inboxToJSON,
  inboxFromJSON,
  outboxToJSON,
  outboxFromJSON,
  SEQ_LIMITS,
  type Inbox,
  type Outbox,
  type SeqItem,
  type Range,
  type InboxResult,
  type ReceiveStatus
} from './sequencer.js';
