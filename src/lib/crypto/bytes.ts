/** Small byte helpers: concat, big-endian ints, constant-time compare, zeroize, hex and base64url, reader/writer. */
import { fail, type ProtocolErrorCode } from './errors.js';

export type Rng = (n: number) => Uint8Array;

/** Default RNG: the platform CSPRNG (browsers, workers, service workers, Node >= 19). */
export const randomBytes: Rng = (n) => {
  const out = new Uint8Array(n);
  // getRandomValues is limited to 65536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
};

/** Overwrite secret bytes with zeros. JS cannot guarantee no other copies exist (GC, JIT), but
 * wiping the buffers we own shortens the window in which a memory dump reveals old keys. */
export function zeroize(...arrs: (Uint8Array | undefined | null)[]): void {
  for (const a of arrs) if (a) a.fill(0);
}

export function concat(...arrs: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const a of arrs) len += a.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const a of arrs) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/** Constant-time for equal lengths (length itself is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function isAllZero(a: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]!;
  return d === 0;
}

export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail('limit', 'u32 out of range');
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

const enc = new TextEncoder();
export const utf8 = (s: string): Uint8Array => enc.encode(s);

export function toHex(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i++) s += a[i]!.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(h: string): Uint8Array {
  if (h.length % 2 || /[^0-9a-fA-F]/.test(h)) throw new Error('invalid hex');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64URL_CHARS = /^[A-Za-z0-9_-]*$/;
const B64URL_VALUE = (c: string) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(c);

/**
 * base64url without padding (RFC 4648 §5): the one text form of bytes on the wire, in storage and in
 * verification payloads. btoa in 32 KiB slices keeps large media fast and within argument limits.
 */
export function b64url(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i += 0x8000) s += String.fromCharCode(...a.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `Uint8Array.fromBase64` (ES2026; Chromium 140, Firefox 133, Safari 18.2), not in Node 20. */
const nativeFromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string, o: { alphabet: 'base64url' }) => Uint8Array }).fromBase64;

/**
 * Strict base64url decode, or null: only the alphabet, no padding or whitespace, a possible length,
 * and zero unused trailing bits, so one byte string has exactly one text form (a relay or peer
 * cannot make two different strings mean the same bytes).
 */
export function b64urlDecode(s: string): Uint8Array | null {
  if (typeof s !== 'string' || !B64URL_CHARS.test(s) || s.length % 4 === 1) return null;
  const rest = s.length % 4;
  if (rest && B64URL_VALUE(s[s.length - 1]!) & (rest === 2 ? 15 : 3)) return null;
  // Checked above: what is left is valid, so the engine's own decoder (where it has one) gives the same bytes.
  if (nativeFromBase64) return nativeFromBase64.call(Uint8Array, s, { alphabet: 'base64url' });
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Strict base64url decode that throws `malformed base64url` (see b64urlDecode). */
export function fromB64url(s: string): Uint8Array {
  const out = b64urlDecode(s);
  if (!out) throw new Error('malformed base64url');
  return out;
}

/** Append-only byte builder for wire formats and state serialization. */
export class Writer {
  private parts: Uint8Array[] = [];
  u8(n: number): this {
    this.parts.push(new Uint8Array([n & 255]));
    return this;
  }
  u32(n: number): this {
    this.parts.push(u32be(n));
    return this;
  }
  /** 53-bit safe integer as 8 bytes big-endian (timestamps in ms). */
  u64(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) fail('limit', 'u64 out of range');
    const hi = Math.floor(n / 2 ** 32);
    this.parts.push(u32be(hi), u32be(n >>> 0));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  /** Length-prefixed (u32) byte string. */
  vbytes(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }
  finish(): Uint8Array {
    return concat(...this.parts);
  }
}

/** Strict reader: any overrun throws the given code (default 'malformed'). */
export class Reader {
  off = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly code: ProtocolErrorCode = 'malformed'
  ) {}
  private need(n: number): void {
    if (this.off + n > this.buf.length) fail(this.code, 'truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!; // in range: need(1) checked it
  }
  u32(): number {
    this.need(4);
    const b = this.buf,
      o = this.off;
    this.off += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  u64(): number {
    const hi = this.u32(),
      lo = this.u32();
    if (hi >= 2 ** 21) fail(this.code, 'u64 exceeds 2^53');
    return hi * 2 ** 32 + lo;
  }
  /** Returns a copy so callers may zeroize without aliasing the input. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }
  vbytes(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) fail(this.code, 'length field too large');
    return this.bytes(n);
  }
  rest(): Uint8Array {
    return this.bytes(this.buf.length - this.off);
  }
  remaining(): number {
    return this.buf.length - this.off;
  }
  end(): void {
    if (this.off !== this.buf.length) fail(this.code, 'trailing bytes');
  }
}
