/**
 * Handshake (Telegram secret-chat flow, asynchronous request -> accept), hybrid X3DH-style + ML-KEM-768.
 *
 *  Initiator A                                   Acceptor B
 *  createRequest: chat id, EKa, (ek, dk) ML-KEM
 *   REQUEST = body_A || Sig_IKa(label || body_A)  ---->
 *                                                 acceptRequest: verify, EKb, (ct, ss) = Encaps(ek)
 *                                     <----        ACCEPT = body_B || Sig_IKb(label || body_B) || confirm_B
 *  completeHandshake: verify sig, Decaps, derive, check confirm_B
 *
 *  TH   = SHA-256("Cinder/v1/transcript" || REQUEST || body_B)
 *  IKM  = DH(IKa, EKb) || DH(EKa, IKb) || DH(EKa, EKb) || ss
 *  RK0 || CK0 || KC = HKDF-SHA-256(IKM, salt = TH, info = "Cinder/v1/root", 96)
 *  confirm_B = HMAC-SHA-256(KC, "Cinder/v1/confirm" || TH)
 * The initiator's key confirmation is its first ratchet message (Session.confirmed on B).
 *
 * Version (byte 0 of REQUEST and ACCEPT): 1, or 2 for chats with sealed addressing, which also derive
 *  seedI2A || seedA2I = HKDF-SHA-256(IKM, salt = TH, info = "Cinder/v2/seal", 64)
 * (mailbox.ts). Everything else is identical; the signatures and TH cover the version byte, so a relay
 * cannot change it in flight (it can only make the initiator pick 1 by misreporting the peer's protocol).
 *
 * Speed: WebCrypto work (X25519, Ed25519) runs on the platform's threads, ML-KEM and hashing on ours,
 * so each step starts its WebCrypto calls first, does its synchronous work meanwhile, then awaits;
 * independent calls run concurrently. Every rng draw happens in the order of the steps above (the
 * backends draw synchronously when called), so the known-answer vectors do not depend on timing.
 */
import type { CryptoBackend, KeyPair } from './backend.js';
import { concat, equalBytes, randomBytes, Reader, zeroize, type Rng } from './bytes.js';
import { Kind } from './envelope.js';
import { fail } from './errors.js';
import { identityBytes, samePublicIdentity, publicIdentity, type Identity, type PublicIdentity } from './identity.js';
import { hkdfSha256, hmacSha256, LABEL, sha256 } from './kdf.js';
import { KEM_CT_LEN, KEM_PK_LEN, kemDecapsulate, kemEncapsulate, kemKeygen } from './kem.js';
import { advanceRootKey } from './root-key.js';
import type { SealSeeds, Session } from './session.js';

export type HandshakeVersion = 1 | 2;
export const HANDSHAKE_VERSIONS: readonly HandshakeVersion[] = [1, 2];

export const CHAT_ID_LEN = 16;
export const REQUEST_BODY_LEN = 2 + 16 + 64 + 64 + 32 + KEM_PK_LEN; // 1362
export const REQUEST_LEN = REQUEST_BODY_LEN + 64; // 1426
export const ACCEPT_BODY_LEN = 2 + 16 + 32 + 32 + KEM_CT_LEN; // 1170
export const ACCEPT_LEN = ACCEPT_BODY_LEN + 64 + 32; // 1266

/** Initiator state between createRequest and completeHandshake (serialize with serializePending). */
export interface PendingHandshake {
  readonly chatId: Uint8Array;
  readonly localIdentity: PublicIdentity;
  readonly remoteIdentity: PublicIdentity;
  readonly request: Uint8Array; // full REQUEST bytes, needed for the transcript
  readonly ephemeral: KeyPair; // EKa
  readonly kemSecretKey: Uint8Array; // ML-KEM-768 decapsulation key (2400 bytes)
  readonly version: HandshakeVersion; // = request[0]
}

export interface ParsedRequest {
  version: HandshakeVersion;
  chatId: Uint8Array;
  initiator: PublicIdentity;
  acceptor: PublicIdentity;
  ephemeralPub: Uint8Array;
  kemPublicKey: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
}

export interface ParsedAccept {
  version: HandshakeVersion;
  chatId: Uint8Array;
  requestHash: Uint8Array;
  ephemeralPub: Uint8Array;
  kemCipherText: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
  confirm: Uint8Array;
}

function header(r: Reader, kind: number): HandshakeVersion {
  const version = r.u8();
  if (version !== 1 && version !== 2) fail('bad_version', 'handshake version');
  if (r.u8() !== kind) fail('malformed', 'wrong handshake message kind');
  return version;
}

export function parseRequest(bytes: Uint8Array): ParsedRequest {
  const r = new Reader(bytes);
  const version = header(r, Kind.REQUEST);
  if (bytes.length !== REQUEST_LEN) fail('malformed', 'request length');
  const chatId = r.bytes(16);
  const initiator = { signPub: r.bytes(32), dhPub: r.bytes(32) };
  const acceptor = { signPub: r.bytes(32), dhPub: r.bytes(32) };
  const ephemeralPub = r.bytes(32);
  const kemPublicKey = r.bytes(KEM_PK_LEN);
  const body = bytes.slice(0, REQUEST_BODY_LEN);
  const signature = r.bytes(64);
  r.end();
  return { version, chatId, initiator, acceptor, ephemeralPub, kemPublicKey, body, signature };
}

export function parseAccept(bytes: Uint8Array): ParsedAccept {
  const r = new Reader(bytes);
  const version = header(r, Kind.ACCEPT);
  if (bytes.length !== ACCEPT_LEN) fail('malformed', 'accept length');
  const chatId = r.bytes(16);
  const requestHash = r.bytes(32);
  const ephemeralPub = r.bytes(32);
  const kemCipherText = r.bytes(KEM_CT_LEN);
  const body = bytes.slice(0, ACCEPT_BODY_LEN);
  const signature = r.bytes(64);
  const confirm = r.bytes(32);
  r.end();
  return { version, chatId, requestHash, ephemeralPub, kemCipherText, body, signature, confirm };
}

export function transcriptHash(request: Uint8Array, acceptBody: Uint8Array): Uint8Array {
  return sha256(concat(LABEL.transcript, request, acceptBody));
}

interface RootMaterial {
  rootKey: Uint8Array;
  chainKey: Uint8Array; // CK0: the acceptor's first sending chain (before any DH ratchet step)
  confirmKey: Uint8Array;
  seal: { i2a: Uint8Array; a2i: Uint8Array } | null; // version 2 only
}

/** HKDF over the concatenation is a dual-PRF style combiner: the output stays secret if either the
 * X25519 part or the ML-KEM secret does; TH (salt) binds ek, ct and identities. Synchronous noble HKDF
 * (kdf.ts): for these sizes a WebCrypto call costs more in thread hand-offs than the hashing itself. */
function deriveRoot(dh: Uint8Array[], ss: Uint8Array, th: Uint8Array, version: HandshakeVersion): RootMaterial {
  const ikm = concat(...dh, ss);
  zeroize(...dh, ss);
  const okm = hkdfSha256(ikm, th, LABEL.root, 96);
  // Same IKM and salt, another info: independent of RK0/CK0/KC (HKDF-Expand is a PRF in info).
  const sealOkm = version === 2 ? hkdfSha256(ikm, th, LABEL.seal, 64) : null;
  zeroize(ikm);
  const out = {
    rootKey: okm.slice(0, 32),
    chainKey: okm.slice(32, 64),
    confirmKey: okm.slice(64, 96),
    seal: sealOkm && { i2a: sealOkm.slice(0, 32), a2i: sealOkm.slice(32, 64) }
  };
  zeroize(okm, sealOkm);
  return out;
}

const sealFor = (root: RootMaterial, role: 'initiator' | 'acceptor'): SealSeeds | null =>
  root.seal && (role === 'initiator' ? { send: root.seal.i2a, recv: root.seal.a2i } : { send: root.seal.a2i, recv: root.seal.i2a });

const confirmTag = (kc: Uint8Array, th: Uint8Array) => hmacSha256(kc, concat(LABEL.confirm, th));

/** f(), wiping `secret` (a key pair made ahead of a check) if it throws. */
function wipeOnThrow<T>(f: () => T, secret: Uint8Array): T {
  try {
    return f();
  } catch (e) {
    zeroize(secret);
    throw e;
  }
}

/** Runs synchronous work now (while WebCrypto calls are in flight) and returns its result or error
 * for later, so a check awaited first (the signature) keeps deciding which error a bad message gets. */
function attempt<T>(f: () => T): () => T {
  try {
    const v = f();
    return () => v;
  } catch (e) {
    return () => {
      throw e;
    };
  }
}

function checkIdentity(me: Identity, claimed: PublicIdentity, code: 'wrong_recipient' | 'identity_mismatch'): void {
  if (!samePublicIdentity(publicIdentity(me), claimed)) fail(code);
}

export interface RequestOptions {
  rng?: Rng;
  /** 2: sealed addressing (only to a device that speaks it; a version-1 device refuses it). Default 1. */
  version?: HandshakeVersion;
}

/** Step 1 (initiator): build the signed REQUEST for `peer` (its relay-published identity). The fourth
 * argument is the rng (old form) or the options. */
export async function createRequest(
  backend: CryptoBackend,
  identity: Identity,
  peer: PublicIdentity,
  rngOrOpts: Rng | RequestOptions = {}
): Promise<{ request: Uint8Array; pending: PendingHandshake }> {
  const opts = typeof rngOrOpts === 'function' ? { rng: rngOrOpts } : rngOrOpts;
  const rng = opts.rng ?? randomBytes;
  const version = opts.version ?? 1;
  if (version !== 1 && version !== 2) fail('bad_version', 'handshake version');
  if (peer.signPub.length !== 32 || peer.dhPub.length !== 32) fail('malformed', 'peer identity');
  const chatId = rng(CHAT_ID_LEN);
  const keyPair = backend.x25519Keygen(rng);
  const kemResult = attempt(() => kemKeygen(rng));
  const ephemeral = await keyPair;
  const kem = kemResult();
  const local = publicIdentity(identity);
  const body = concat(new Uint8Array([version, Kind.REQUEST]), chatId, identityBytes(local), identityBytes(peer), ephemeral.pub, kem.publicKey);
  const sig = await backend.ed25519Sign(identity.sign, concat(LABEL.requestSig, body));
  const request = concat(body, sig);
  return {
    request,
    pending: {
      chatId,
      localIdentity: local,
      remoteIdentity: { signPub: peer.signPub.slice(), dhPub: peer.dhPub.slice() },
      request,
      ephemeral,
      kemSecretKey: kem.secretKey,
      version
    }
  };
}

export interface AcceptOptions {
  rng?: Rng;
  /** The initiator's relay-published identity; if given, a different one is 'identity_mismatch'. */
  expectedPeer?: PublicIdentity;
}

/** Step 2 (acceptor): verify REQUEST, answer with ACCEPT; the session can send immediately. */
export async function acceptRequest(
  backend: CryptoBackend,
  identity: Identity,
  request: Uint8Array,
  opts: AcceptOptions = {}
): Promise<{ accept: Uint8Array; session: Session; peer: PublicIdentity }> {
  const rng = opts.rng ?? randomBytes;
  const req = parseRequest(request);
  checkIdentity(identity, req.acceptor, 'wrong_recipient');
  if (opts.expectedPeer && !samePublicIdentity(opts.expectedPeer, req.initiator)) fail('identity_mismatch');
  // Verify, our key pair and the ML-KEM encapsulation overlap; nothing is sent or derived from them
  // unless the signature verified.
  const verified = backend.ed25519Verify(req.initiator.signPub, concat(LABEL.requestSig, req.body), req.signature);
  const keyPair = backend.x25519Keygen(rng);
  const encapsulated = attempt(() => kemEncapsulate(req.kemPublicKey, rng));
  const requestHash = sha256(request);
  const [ok, ephemeral] = await Promise.all([verified, keyPair]);
  if (!ok) {
    zeroize(ephemeral.priv);
    fail('bad_signature', 'request');
  }
  const { cipherText, sharedSecret } = wipeOnThrow(encapsulated, ephemeral.priv);
  const body = concat(new Uint8Array([req.version, Kind.ACCEPT]), req.chatId, requestHash, ephemeral.pub, cipherText);
  const th = transcriptHash(request, body);
  const [sig, dh1, dh2, dh3] = await Promise.all([
    backend.ed25519Sign(identity.sign, concat(LABEL.acceptSig, body)),
    backend.x25519(ephemeral, req.initiator.dhPub), // DH(IKa, EKb)
    backend.x25519(identity.dh, req.ephemeralPub), // DH(EKa, IKb)
    backend.x25519(ephemeral, req.ephemeralPub) // DH(EKa, EKb)
  ]);
  const root = deriveRoot([dh1, dh2, dh3], sharedSecret, th, req.version);
  const confirm = confirmTag(root.confirmKey, th);
  zeroize(root.confirmKey);
  const session: Session = {
    role: 'acceptor',
    chatId: req.chatId,
    localIdentity: publicIdentity(identity),
    remoteIdentity: req.initiator,
    transcriptHash: th,
    rootKey: root.rootKey,
    ratchetKey: ephemeral, // EKb doubles as B's first ratchet key (like Signal's signed prekey)
    sending: { chainKey: root.chainKey, n: 0 },
    previousCounter: 0,
    receiving: null,
    skipped: [],
    pastRemoteKeys: [],
    confirmed: false,
    seal: sealFor(root, 'acceptor')
  };
  return { accept: concat(body, sig, confirm), session, peer: req.initiator };
}

/** Step 3 (initiator): verify ACCEPT, derive the session, take the first DH ratchet step. */
export async function completeHandshake(
  backend: CryptoBackend,
  identity: Identity,
  pending: PendingHandshake,
  accept: Uint8Array,
  rng: Rng = randomBytes
): Promise<Session> {
  checkIdentity(identity, pending.localIdentity, 'identity_mismatch');
  const acc = parseAccept(accept);
  const version = requestVersion(pending.request);
  if (acc.version !== version) fail('bad_version', 'accept version differs from the request');
  if (!equalBytes(acc.chatId, pending.chatId)) fail('wrong_chat', 'accept for another chat');
  if (!equalBytes(acc.requestHash, sha256(pending.request))) fail('transcript_mismatch');
  // Verify, our first ratchet key pair and the ML-KEM decapsulation overlap (the key pair depends on
  // nothing received; it is wiped if the accept turns out bad).
  const verified = backend.ed25519Verify(pending.remoteIdentity.signPub, concat(LABEL.acceptSig, acc.body), acc.signature);
  const keyPair = backend.x25519Keygen(rng);
  const decapsulated = attempt(() => kemDecapsulate(acc.kemCipherText, pending.kemSecretKey));
  const th = transcriptHash(pending.request, acc.body);
  const [ok, ratchetKey] = await Promise.all([verified, keyPair]);
  if (!ok) {
    zeroize(ratchetKey.priv);
    fail('bad_signature', 'accept');
  }
  const ss = wipeOnThrow(decapsulated, ratchetKey.priv);
  // The first DH ratchet step (our first message already carries a fresh ratchet key) runs with the
  // three handshake DHs; its output is only used once the confirmation tag checked out.
  const [dh1, dh2, dh3, dh] = await Promise.all([
    backend.x25519(identity.dh, acc.ephemeralPub), // DH(IKa, EKb)
    backend.x25519(pending.ephemeral, pending.remoteIdentity.dhPub), // DH(EKa, IKb)
    backend.x25519(pending.ephemeral, acc.ephemeralPub), // DH(EKa, EKb)
    backend.x25519(ratchetKey, acc.ephemeralPub)
  ]);
  const root = deriveRoot([dh1, dh2, dh3], ss, th, version);
  const confirmed = equalBytes(confirmTag(root.confirmKey, th), acc.confirm);
  zeroize(root.confirmKey);
  if (!confirmed) {
    zeroize(root.rootKey, root.chainKey, dh, ratchetKey.priv, root.seal?.i2a, root.seal?.a2i);
    fail('key_confirmation', 'acceptor derived a different key');
  }
  const step = advanceRootKey(root.rootKey, dh);
  zeroize(dh, root.rootKey);
  return {
    role: 'initiator',
    chatId: pending.chatId.slice(),
    localIdentity: pending.localIdentity,
    remoteIdentity: pending.remoteIdentity,
    transcriptHash: th,
    rootKey: step.rootKey,
    ratchetKey,
    sending: { chainKey: step.chainKey, n: 0 },
    previousCounter: 0,
    receiving: { ratchetPub: acc.ephemeralPub, chainKey: root.chainKey, n: 0 },
    skipped: [],
    pastRemoteKeys: [],
    confirmed: false,
    seal: sealFor(root, 'initiator')
  };
}

/** The version byte of a stored REQUEST (the pending state's source of truth). */
function requestVersion(request: Uint8Array): HandshakeVersion {
  const v = request[0];
  if (v !== 1 && v !== 2) fail('bad_state', 'pending request version');
  return v;
}

/** Wipe the initiator's ephemeral secrets once the session exists (or the chat was abandoned). */
export function zeroizePending(p: PendingHandshake): void {
  zeroize(p.ephemeral.priv, p.kemSecretKey);
}
