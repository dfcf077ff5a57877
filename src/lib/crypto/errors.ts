/**
 * Typed protocol rejections. Every failure path of the library throws a
 * ProtocolError with a stable machine-readable `code`; callers switch on the
 * code, never on the message. A thrown ProtocolError never leaves a session
 * half-updated (see ratchet.ts: decrypt works on a copy).
 */
export type ProtocolErrorCode =
  | 'bad_version' // unknown wire / state version byte
  | 'malformed' // truncated, over-long, wrong type byte, bad field
  | 'bad_signature' // Ed25519 transcript signature did not verify
  | 'low_order' // X25519 produced the all-zero shared secret (low-order / invalid point)
  | 'bad_kem' // ML-KEM public key or ciphertext rejected (length / modulus check)
  | 'key_confirmation' // acceptor's confirmation tag mismatched (e.g. implicit KEM rejection)
  | 'wrong_chat' // envelope/accept chat id differs from the session's
  | 'wrong_recipient' // handshake request addressed to another identity
  | 'identity_mismatch' // peer identity differs from the expected (relay-published) one
  | 'transcript_mismatch' // accept does not refer to our request
  | 'wrong_direction' // envelope direction byte is not the one we receive (reflection)
  | 'decrypt_failed' // AEAD authentication failed (altered envelope, wrong key)
  | 'bad_header' // sealed (version 2) envelope header did not authenticate under the mailbox's header key
  | 'replay' // message key already consumed (or expired): duplicate / replayed envelope
  | 'too_far_ahead' // counter jump exceeds MAX_SKIP (DoS guard)
  | 'bad_frame' // inner plaintext frame is malformed (after successful AEAD)
  | 'bad_state' // serialized state fails validation
  | 'limit' // a hard limit was hit (chain counter exhausted, outbox full, ...)
  | 'backend_unavailable'; // requested crypto backend missing on this platform

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message?: string) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function fail(code: ProtocolErrorCode, message?: string): never {
  throw new ProtocolError(code, message);
}

export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}
