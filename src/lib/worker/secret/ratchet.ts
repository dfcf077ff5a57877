/**
 * The one way the engine touches a chat's Double Ratchet session: loaded from the chat's state,
 * stepped, the new session stored back, and every copy in memory wiped, whatever happens.
 */
import { deserializeSession, serializeSession, zeroize, zeroizeSession, type Session } from '$lib/crypto';
import type { SecretState } from './state';

/**
 * One ratchet step on a chat: `step` gets the current session (the one in `state`, or `from`, say a
 * handshake's first) and returns the next one, which is stored in `state` (null drops the chat's
 * keys). The sessions are wiped after the step, also when it throws; what else the step returns
 * (an envelope, a frame, effects) is passed through.
 */
export async function ratchet<T extends { session: Session | null }>(
  state: SecretState,
  step: (session: Session) => T | Promise<T>,
  from?: Session
): Promise<Omit<T, 'session'>> {
  const session = from ?? deserializeSession(state.session!);
  try {
    const { session: next, ...rest } = await step(session);
    const old = state.session;
    state.session = next ? serializeSession(next) : null;
    zeroize(old);
    if (next) zeroizeSession(next);
    return rest;
  } finally {
    zeroizeSession(session);
  }
}

/** Reads from a stored session without stepping it (the copy is wiped after). */
export function readSession<T>(stored: Uint8Array, read: (session: Session) => T): T {
  const session = deserializeSession(stored);
  try {
    return read(session);
  } finally {
    zeroizeSession(session);
  }
}
