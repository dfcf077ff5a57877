/**
 * Inner plaintext frame (inside the AEAD), padded with zeros to paddedLength():
 *   seq u32 | ack u32 | type u8 | len u32 | payload[len] | zero padding
 * seq: per-direction sequence number, 1, 2, 3, ... (0 = unsequenced control frame).
 * ack: highest seq received contiguously from the peer ("received up to N"), 0 = none.
 * type: 0x01 ACK (control, empty), 0x02 RESEND (control, payload from u32 | to u32),
 *       0x10-0xff application-defined (sequenced, payload opaque to this layer).
 */
import { concat, isAllZero, Reader, u32be } from './bytes.js';
import { fail } from './errors.js';
import { paddedLength } from './padding.js';

export const FRAME_HEADER_LEN = 13;
export const MAX_PAYLOAD = 1 << 24; // 16 MiB per message; larger blobs belong in attachments.

export const FrameType = {
  ACK: 0x01,
  RESEND: 0x02,
  /** First application type; the app layer defines 0x10..0xff. */
  APP: 0x10
} as const;

export interface Frame {
  readonly seq: number;
  readonly ack: number;
  readonly type: number;
  readonly payload: Uint8Array;
}

export const isControlType = (t: number): boolean => t === FrameType.ACK || t === FrameType.RESEND;

function validate(f: Frame): void {
  const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!u32(f.seq) || !u32(f.ack)) fail('bad_frame', 'seq/ack out of range');
  if (!Number.isInteger(f.type) || f.type < 0 || f.type > 255) fail('bad_frame', 'type out of range');
  if (isControlType(f.type) ? f.seq !== 0 : f.type < FrameType.APP || f.seq === 0) fail('bad_frame', 'type/seq mismatch');
  if (f.type === FrameType.ACK && f.payload.length !== 0) fail('bad_frame', 'ACK has payload');
  if (f.type === FrameType.RESEND) {
    if (f.payload.length !== 8) fail('bad_frame', 'RESEND payload');
    const r = new Reader(f.payload, 'bad_frame');
    const from = r.u32(),
      to = r.u32();
    if (from < 1 || to < from) fail('bad_frame', 'RESEND range');
  }
  if (f.payload.length > MAX_PAYLOAD) fail('limit', 'payload too large');
}

export function encodeFrame(f: Frame): Uint8Array {
  validate(f);
  const body = concat(u32be(f.seq), u32be(f.ack), new Uint8Array([f.type]), u32be(f.payload.length), f.payload);
  const out = new Uint8Array(paddedLength(body.length));
  out.set(body);
  return out;
}

/** Strict: padding must be canonical (exact Padmé length, all zeros). */
export function decodeFrame(padded: Uint8Array): Frame {
  const r = new Reader(padded, 'bad_frame');
  const seq = r.u32(),
    ack = r.u32(),
    type = r.u8(),
    len = r.u32();
  if (len > MAX_PAYLOAD || len > r.remaining()) fail('bad_frame', 'length');
  const payload = r.bytes(len);
  if (padded.length !== paddedLength(FRAME_HEADER_LEN + len)) fail('bad_frame', 'non-canonical padding length');
  if (!isAllZero(padded.subarray(FRAME_HEADER_LEN + len))) fail('bad_frame', 'non-zero padding');
  const f = { seq, ack, type, payload };
  validate(f);
  return f;
}

export function resendPayload(from: number, to: number): Uint8Array {
  return concat(u32be(from), u32be(to));
}

export function parseResend(f: Frame): { from: number; to: number } {
  if (f.type !== FrameType.RESEND) fail('bad_frame', 'not a RESEND frame');
  const r = new Reader(f.payload, 'bad_frame');
  return { from: r.u32(), to: r.u32() };
}
