/**
 * Chain key: the symmetric ratchet (Signal's KDF_CK). One HMAC step per message gives per-message
 * forward secrecy: the old chain key is discarded, and HMAC is one-way.
 *   MK  = HMAC-SHA-256(CK, 0x01)
 *   CK' = HMAC-SHA-256(CK, 0x02)
 */
import { hmacSha256 } from './kdf.js';

const MK_CONST = new Uint8Array([0x01]);
const CK_CONST = new Uint8Array([0x02]);

export interface ChainStep {
  chainKey: Uint8Array;
  messageKey: Uint8Array;
}

export function advanceChainKey(chainKey: Uint8Array): ChainStep {
  return { messageKey: hmacSha256(chainKey, MK_CONST), chainKey: hmacSha256(chainKey, CK_CONST) };
}
