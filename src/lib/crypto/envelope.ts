/**
 * Ratchet message envelope (wire format, all integers big-endian):
 *   0  u8   version = 0x01
 *   1  u8   kind    = 0x03 (message)
 *   2  [16] chat id
 *  18  u8   direction: 0x00 initiator->acceptor, 0x01 acceptor->initiator
 *  19  [32] sender's current ratchet public key (X25519)
 *  51  u32  pn: length of the sender's previous sending chain
 *  55  u32  n:  message number in the current sending chain
 *  59  [..] XChaCha20-Poly1305 ciphertext of the padded frame || 16-byte tag
 * The whole 59-byte header is the AEAD associated data.
 */
import { TAG_LEN } from './aead.js';
import { concat, Reader, u32be } from './bytes.js';
import { fail } from './errors.js';
import { MIN_PADDED } from './padding.js';

export const WIRE_VERSION = 0x01;
export const Kind = { REQUEST: 0x01, ACCEPT: 0x02, MESSAGE: 0x03 } as const;
export const HEADER_LEN = 59;
export const MIN_ENVELOPE_LEN = HEADER_LEN + MIN_PADDED + TAG_LEN;

export type Direction = 0 | 1;
export const INITIATOR_TO_ACCEPTOR: Direction = 0;
export const ACCEPTOR_TO_INITIATOR: Direction = 1;

export interface Header {
  readonly chatId: Uint8Array;
  readonly direction: Direction;
  readonly ratchetPub: Uint8Array;
  readonly pn: number;
  readonly n: number;
}

export function encodeHeader(h: Header): Uint8Array {
  return concat(new Uint8Array([WIRE_VERSION, Kind.MESSAGE]), h.chatId, new Uint8Array([h.direction]), h.ratchetPub, u32be(h.pn), u32be(h.n));
}

export interface ParsedEnvelope {
  header: Header;
  headerBytes: Uint8Array; // = associated data
  ciphertext: Uint8Array;
}

export function decodeEnvelope(bytes: Uint8Array): ParsedEnvelope {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) fail('malformed', 'envelope too short');
  if (bytes[0] !== WIRE_VERSION) fail('bad_version', `envelope version ${bytes[0]}`);
  if (bytes[1] !== Kind.MESSAGE) fail('malformed', 'not a message envelope');
  if (bytes.length < MIN_ENVELOPE_LEN) fail('malformed', 'envelope truncated');
  const r = new Reader(bytes);
  r.u8();
  r.u8();
  const chatId = r.bytes(16);
  const direction = r.u8();
  if (direction !== 0 && direction !== 1) fail('malformed', 'direction byte');
  const ratchetPub = r.bytes(32);
  const pn = r.u32(),
    n = r.u32();
  return {
    header: { chatId, direction, ratchetPub, pn, n },
    headerBytes: bytes.slice(0, HEADER_LEN),
    ciphertext: bytes.slice(HEADER_LEN)
  };
}
