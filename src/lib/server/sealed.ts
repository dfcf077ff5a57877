/**
 * Sealed addressing (protocol version 2, docs/protocol.md "Version 2: sealed addressing"): what the
 * relay checks of an anonymous post to a mailbox. Recomputed here with node:crypto (server code does
 * not import the client's crypto core); the formulas must stay byte-identical to src/lib/crypto/mailbox.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const POST_LABEL = Buffer.from('Cinder/v2/post', 'utf8');
const BLOB_LABEL = Buffer.from('Cinder/v2/blob', 'utf8');

/** HMAC-SHA-256(cap, utf8("Cinder/v2/post") || utf8(id) || 0x00 || body). */
export function capMac(cap: Uint8Array, id: string, body: Uint8Array): Buffer {
  return createHmac('sha256', cap)
    .update(POST_LABEL)
    .update(Buffer.from(id, 'utf8'))
    .update(Buffer.from([0]))
    .update(body)
    .digest();
}

/** HMAC-SHA-256(cap, utf8("Cinder/v2/blob")): the bearer token of a sealed media upload. */
export function blobToken(cap: Uint8Array): Buffer {
  return createHmac('sha256', cap).update(BLOB_LABEL).digest();
}

/** Constant-time equality of a computed MAC and a claimed one (a length mismatch is simply false). */
export function macEqual(expected: Uint8Array, claimed: Uint8Array): boolean {
  return expected.length === claimed.length && timingSafeEqual(expected, claimed);
}

/** The at-rest additional data of a mailbox's sealed capability key: bound to its device and id. */
export const mailboxAad = (deviceId: string, id: string) => `mbx:${deviceId}:${id}`;
