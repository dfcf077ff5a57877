/**
 * Versioned binary persistence for Session and PendingHandshake. Strict parsing: unknown version ->
 * 'bad_version'; any structural problem (truncation, trailing bytes, bad enum, over-limit counts)
 * -> 'bad_state'. The output contains secret keys: store it encrypted at rest.
 *
 * Session v1 layout (integers big-endian):
 *   u8 version=1 | u8 kind='S' | u8 role (0 initiator, 1 acceptor) | chatId[16]
 *   localIdentity[64] | remoteIdentity[64] | TH[32] | rootKey[32]
 *   ratchetPriv[32] | ratchetPub[32] | sendCK[32] | sendN u32 | pn u32
 *   u8 hasReceiving | (recvPub[32] | recvCK[32] | recvN u32)?
 *   u8 confirmed | u32 #pastRemoteKeys | pub[32]* | u32 #skipped | (pub[32] | n u32 | mk[32] | storedAt u64)*
 * Session v2 = the v1 layout with version 2, followed by  u8 hasSeal | (sealSend[32] | sealRecv[32])?
 * A session without seal seeds (every version-1 chat) is still written as v1, byte for byte as before,
 * so an older build can read it; both versions are read.
 * Pending (v1, unchanged): the REQUEST inside carries the handshake version.
 */
import { Reader, Writer } from './bytes.js';
import { fail } from './errors.js';
import { parseRequest, REQUEST_LEN, type PendingHandshake } from './handshake.js';
import { equalBytes } from './bytes.js';
import { samePublicIdentity } from './identity.js';
import { KEM_SK_LEN } from './kem.js';
import { LIMITS } from './limits.js';
import type { Session } from './session.js';

/** Newest session state version (written for sessions with seal seeds). */
export const STATE_VERSION = 2;
const SESSION_V1 = 1;
const PENDING_VERSION = 1;
const KIND_SESSION = 0x53; // 'S'
const KIND_PENDING = 0x50; // 'P'

export function serializeSession(s: Session): Uint8Array {
  const w = new Writer()
    .u8(s.seal ? STATE_VERSION : SESSION_V1)
    .u8(KIND_SESSION)
    .u8(s.role === 'initiator' ? 0 : 1)
    .bytes(s.chatId)
    .bytes(s.localIdentity.signPub)
    .bytes(s.localIdentity.dhPub)
    .bytes(s.remoteIdentity.signPub)
    .bytes(s.remoteIdentity.dhPub)
    .bytes(s.transcriptHash)
    .bytes(s.rootKey)
    .bytes(s.ratchetKey.priv)
    .bytes(s.ratchetKey.pub)
    .bytes(s.sending.chainKey)
    .u32(s.sending.n)
    .u32(s.previousCounter);
  if (s.receiving) w.u8(1).bytes(s.receiving.ratchetPub).bytes(s.receiving.chainKey).u32(s.receiving.n);
  else w.u8(0);
  w.u8(s.confirmed ? 1 : 0).u32(s.pastRemoteKeys.length);
  for (const k of s.pastRemoteKeys) w.bytes(k);
  w.u32(s.skipped.length);
  for (const k of s.skipped) w.bytes(k.ratchetPub).u32(k.n).bytes(k.messageKey).u64(k.storedAt);
  if (s.seal) w.u8(1).bytes(s.seal.send).bytes(s.seal.recv);
  return w.finish();
}

function bool(r: Reader): boolean {
  const b = r.u8();
  if (b > 1) fail('bad_state', 'boolean byte');
  return b === 1;
}

function header(r: Reader, kind: number, versions: readonly number[]): number {
  const version = r.u8();
  if (!versions.includes(version)) fail('bad_version', 'state version');
  if (r.u8() !== kind) fail('bad_state', 'state kind');
  return version;
}

export function deserializeSession(bytes: Uint8Array): Session {
  const r = new Reader(bytes, 'bad_state');
  const version = header(r, KIND_SESSION, [SESSION_V1, STATE_VERSION]);
  const roleByte = r.u8();
  if (roleByte > 1) fail('bad_state', 'role');
  const chatId = r.bytes(16);
  const localIdentity = { signPub: r.bytes(32), dhPub: r.bytes(32) };
  const remoteIdentity = { signPub: r.bytes(32), dhPub: r.bytes(32) };
  const transcriptHash = r.bytes(32);
  const rootKey = r.bytes(32);
  const ratchetKey = { priv: r.bytes(32), pub: r.bytes(32) };
  const sending = { chainKey: r.bytes(32), n: r.u32() };
  const previousCounter = r.u32();
  const receiving = bool(r) ? { ratchetPub: r.bytes(32), chainKey: r.bytes(32), n: r.u32() } : null;
  const confirmed = bool(r);
  const nPast = r.u32();
  if (nPast > LIMITS.maxPastRemoteKeys) fail('bad_state', 'too many past keys');
  const pastRemoteKeys = Array.from({ length: nPast }, () => r.bytes(32));
  const nSkipped = r.u32();
  if (nSkipped > LIMITS.maxSkippedTotal) fail('bad_state', 'too many skipped keys');
  const skipped = Array.from({ length: nSkipped }, () => ({ ratchetPub: r.bytes(32), n: r.u32(), messageKey: r.bytes(32), storedAt: r.u64() }));
  const seal = version === SESSION_V1 || !bool(r) ? null : { send: r.bytes(32), recv: r.bytes(32) };
  r.end();
  if (roleByte === 0 && !receiving) fail('bad_state', 'initiator without receiving chain');
  return {
    role: roleByte === 0 ? 'initiator' : 'acceptor',
    chatId,
    localIdentity,
    remoteIdentity,
    transcriptHash,
    rootKey,
    ratchetKey,
    sending,
    previousCounter,
    receiving,
    skipped,
    pastRemoteKeys,
    confirmed,
    seal
  };
}

/** Pending v1: u8 version | u8 'P' | chatId[16] | local[64] | remote[64] | EKa priv[32] | EKa pub[32]
 *  | kemSecretKey[2400] | request[1426]. */
export function serializePending(p: PendingHandshake): Uint8Array {
  return new Writer()
    .u8(PENDING_VERSION)
    .u8(KIND_PENDING)
    .bytes(p.chatId)
    .bytes(p.localIdentity.signPub)
    .bytes(p.localIdentity.dhPub)
    .bytes(p.remoteIdentity.signPub)
    .bytes(p.remoteIdentity.dhPub)
    .bytes(p.ephemeral.priv)
    .bytes(p.ephemeral.pub)
    .bytes(p.kemSecretKey)
    .bytes(p.request)
    .finish();
}

export function deserializePending(bytes: Uint8Array): PendingHandshake {
  const r = new Reader(bytes, 'bad_state');
  header(r, KIND_PENDING, [PENDING_VERSION]);
  const fields = {
    chatId: r.bytes(16),
    localIdentity: { signPub: r.bytes(32), dhPub: r.bytes(32) },
    remoteIdentity: { signPub: r.bytes(32), dhPub: r.bytes(32) },
    ephemeral: { priv: r.bytes(32), pub: r.bytes(32) },
    kemSecretKey: r.bytes(KEM_SK_LEN),
    request: r.bytes(REQUEST_LEN)
  };
  r.end();
  // The stored request must be the one these secrets belong to.
  let req;
  try {
    req = parseRequest(fields.request);
  } catch {
    fail('bad_state', 'stored request unparsable');
  }
  const p: PendingHandshake = { ...fields, version: req.version };
  if (
    !equalBytes(req.chatId, p.chatId) ||
    !equalBytes(req.ephemeralPub, p.ephemeral.pub) ||
    !samePublicIdentity(req.initiator, p.localIdentity) ||
    !samePublicIdentity(req.acceptor, p.remoteIdentity)
  ) {
    fail('bad_state', 'pending fields do not match the stored request');
  }
  return p;
}
