/**
 * How a secret chat's state is stored: serialized to bytes, sealed by the vault at the chat's place
 * (secretChats/<id>), and the opened plaintext wiped as soon as it is parsed.
 *
 * Format 2 (binary; integers big-endian; every length-prefixed field is u32 length | bytes):
 *   'c' 's' | u8 version=2
 *   u8 hasSession | session (crypto's serializeSession)?
 *   u32 #pendings | (deviceId utf8 | protoChatId utf8 | pending (crypto's serializePending))*
 *   inbox JSON utf8 | outbox JSON utf8
 *   u8 hasFingerprint | fingerprint utf8?
 *   u32 ttl | u64 ackSent | u8 flags (1 verifiedByMe, 2 verifiedByPeer, 4 keyChanged, 8 newDevice)
 *
 * A newer version adds a flag in an unused bit, or anything else under a higher format byte; this
 * version then reads the state as a newer version's (NewerStateError, parked.ts), not as corrupt.
 *
 * Format 1 (written before; read, then rewritten as format 2 at the chat's next commit or by
 * migrateSealed after unlock): the UTF-8 JSON of {v: 1, session: base64url | null, pendings:
 * [{deviceId, protoChatId, pending: base64url}], inbox, outbox, fingerprint, ttl, ackSent, flags}.
 * A JSON value always starts with '{', never with the 'c' of format 2.
 */
import { b64urlDecode, Reader, Writer, zeroize } from '$lib/crypto/bytes';
import type { Vault } from '$lib/store/vault';
import { NewerStateError, SecretError } from './errors';
import { statePlace, type SecretState } from './state';

export const STATE_FORMAT = 2;
const MAGIC = [0x63, 0x73]; // 'cs'
const LEGACY_JSON = 0x7b; // '{'
const MAX_PENDINGS = 64;
const MAX_TEXT = 1024;
const MAX_PENDING = 16 * 1024;
const FLAGS = { verifiedByMe: 1, verifiedByPeer: 2, keyChanged: 4, newDevice: 8 } as const;
const ALL_FLAGS = FLAGS.verifiedByMe | FLAGS.verifiedByPeer | FLAGS.keyChanged | FLAGS.newDevice;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

const unreadable = (why: string) => new SecretError('bad_state', `Secret chat state is unreadable (${why})`);
/** From a newer version (see the top of this file); openState names the chat. */
const newer = (why: string) => new NewerStateError('', why);

/** Serializes a state to format 2. The result holds the chat's keys: wipe it once sealed. */
export function encodeState(s: SecretState): Uint8Array {
  const w = new Writer().u8(MAGIC[0]!).u8(MAGIC[1]!).u8(STATE_FORMAT);
  if (s.session) w.u8(1).vbytes(s.session);
  else w.u8(0);
  w.u32(s.pendings.length);
  for (const p of s.pendings) w.vbytes(enc.encode(p.deviceId)).vbytes(enc.encode(p.protoChatId)).vbytes(p.pending);
  w.vbytes(enc.encode(JSON.stringify(s.inbox))).vbytes(enc.encode(JSON.stringify(s.outbox)));
  if (s.fingerprint !== null) w.u8(1).vbytes(enc.encode(s.fingerprint));
  else w.u8(0);
  w.u32(s.ttl)
    .u64(s.ackSent)
    .u8(
      (s.verifiedByMe ? FLAGS.verifiedByMe : 0) |
        (s.verifiedByPeer ? FLAGS.verifiedByPeer : 0) |
        (s.keyChanged ? FLAGS.keyChanged : 0) |
        (s.newDevice ? FLAGS.newDevice : 0)
    );
  return w.finish();
}

/** Which format a plaintext is in; anything else is rejected. */
function formatOf(plain: Uint8Array): 1 | 2 {
  if (plain[0] === LEGACY_JSON) return 1;
  if (plain[0] === MAGIC[0] && plain[1] === MAGIC[1]) {
    if (plain[2] === STATE_FORMAT) return 2;
    // Binary formats start at 2 (format 1 was JSON): a lower one is corruption, a higher one a newer version's.
    if (plain[2]! > STATE_FORMAT) throw newer(`format ${plain[2]}`);
    throw unreadable(`unknown format ${plain[2]}`);
  }
  throw unreadable('no format tag');
}

/** Parses format 2 or format 1 (see above); the input is left as it is (the caller wipes it). */
export function decodeState(plain: Uint8Array): { state: SecretState; format: 1 | 2 } {
  const format = formatOf(plain);
  try {
    return { state: format === 2 ? decodeBinary(plain) : decodeLegacy(plain), format };
  } catch (e) {
    if (e instanceof SecretError) throw e;
    throw unreadable(e instanceof Error ? e.message : 'malformed');
  }
}

function decodeBinary(plain: Uint8Array): SecretState {
  const r = new Reader(plain, 'bad_state');
  r.bytes(3); // tag, checked by formatOf
  const text = (max: number) => {
    const b = r.vbytes(max);
    return dec.decode(b);
  };
  const json = () => JSON.parse(text(r.remaining())) as unknown;
  const flag = () => {
    const b = r.u8();
    if (b > 1) throw unreadable('flag byte');
    return b === 1;
  };
  // The session's own parser (deserializeSession) bounds its size; here only the blob does.
  const session = flag() ? r.vbytes(r.remaining()) : null;
  const n = r.u32();
  if (n > MAX_PENDINGS) throw unreadable('too many pending handshakes');
  const pendings: SecretState['pendings'] = [];
  for (let i = 0; i < n; i++) pendings.push({ deviceId: text(MAX_TEXT), protoChatId: text(MAX_TEXT), pending: r.vbytes(MAX_PENDING) });
  const inbox = json() as SecretState['inbox'];
  const outbox = json() as SecretState['outbox'];
  const fingerprint = flag() ? text(MAX_TEXT) : null;
  const ttl = r.u32();
  const ackSent = r.u64();
  const flags = r.u8();
  r.end();
  if (flags & ~ALL_FLAGS) throw newer(`flags ${flags}`);
  return {
    v: 2,
    session,
    pendings,
    inbox: checkedQueue(inbox),
    outbox: checkedQueue(outbox),
    fingerprint,
    ttl,
    ackSent,
    verifiedByMe: !!(flags & FLAGS.verifiedByMe),
    verifiedByPeer: !!(flags & FLAGS.verifiedByPeer),
    keyChanged: !!(flags & FLAGS.keyChanged),
    newDevice: !!(flags & FLAGS.newDevice)
  };
}

/** Format 1, as the vault's JSON seal wrote it. */
function decodeLegacy(plain: Uint8Array): SecretState {
  const o = JSON.parse(dec.decode(plain)) as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || o.v !== 1) throw unreadable('format 1 without v: 1');
  const b64 = (s: unknown, what: string) => {
    const b = typeof s === 'string' ? b64urlDecode(s) : null;
    if (!b) throw unreadable(`format 1 ${what}`);
    return b;
  };
  const str = (s: unknown, what: string) => {
    if (typeof s !== 'string') throw unreadable(`format 1 ${what}`);
    return s;
  };
  // Fields added to format 1 over time: absent in older rows, read as their starting value.
  const bool = (b: unknown, what: string) => {
    if (b === undefined) return false;
    if (typeof b !== 'boolean') throw unreadable(`format 1 ${what}`);
    return b;
  };
  const count = (n: unknown, what: string) => {
    if (n === undefined) return 0;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw unreadable(`format 1 ${what}`);
    return n;
  };
  if (!Array.isArray(o.pendings) || o.pendings.length > MAX_PENDINGS) throw unreadable('format 1 pendings');
  return {
    v: 2,
    session: o.session == null ? null : b64(o.session, 'session'),
    pendings: (o.pendings as Record<string, unknown>[]).map((p) => ({
      deviceId: str(p?.deviceId, 'pending device'),
      protoChatId: str(p?.protoChatId, 'pending chat id'),
      pending: b64(p?.pending, 'pending')
    })),
    inbox: checkedQueue(o.inbox as SecretState['inbox']),
    outbox: checkedQueue(o.outbox as SecretState['outbox']),
    fingerprint: o.fingerprint == null ? null : str(o.fingerprint, 'fingerprint'),
    ttl: count(o.ttl, 'ttl'),
    ackSent: count(o.ackSent, 'ackSent'),
    verifiedByMe: bool(o.verifiedByMe, 'verifiedByMe'),
    verifiedByPeer: bool(o.verifiedByPeer, 'verifiedByPeer'),
    keyChanged: bool(o.keyChanged, 'keyChanged'),
    newDevice: bool(o.newDevice, 'newDevice')
  };
}

/** The sequencer's JSON is checked in full where it is used (inboxFromJSON / outboxFromJSON); here only its shape. */
function checkedQueue<T>(q: T): T {
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw unreadable('inbox or outbox');
  return q;
}

/** Seals a chat's state (format 2) for its row; the serialized plaintext is wiped. */
export async function sealState(vault: Vault, chatId: string, state: SecretState): Promise<Uint8Array> {
  const plain = encodeState(state);
  try {
    return await vault.sealBytes(statePlace(chatId), plain);
  } finally {
    zeroize(plain);
  }
}

/** Opens a chat's sealed state (either format); the plaintext is wiped once parsed. */
export async function openState(vault: Vault, chatId: string, box: Uint8Array): Promise<{ state: SecretState; format: 1 | 2 }> {
  const plain = await vault.openBytes(statePlace(chatId), box);
  try {
    return decodeState(plain);
  } catch (e) {
    throw e instanceof NewerStateError ? new NewerStateError(chatId, e.detail) : e;
  } finally {
    zeroize(plain);
  }
}

/** Wipes the keys a state holds in memory (the session and pending handshakes). */
export function wipeState(state: SecretState): void {
  zeroize(state.session);
  dropPendings(state);
}

/** The pending handshakes are done with: wiped and removed. */
export function dropPendings(state: SecretState): void {
  zeroize(...state.pendings.map((p) => p.pending));
  state.pendings = [];
}
