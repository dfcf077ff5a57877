/**
 * What the core needs of the secret-chat engine before (or without) loading it: its error class and
 * the empty diagnostics. Kept apart from the engine (core.ts imports this file statically) so the
 * worker starts without the crypto code.
 */
import { VaultError } from '$lib/store/vault';

export class SecretError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

/**
 * A chat's stored state was written by a newer version of Cinder (an unknown format or flag, stored.ts):
 * not corrupt (the vault's AES-GCM would have refused altered bytes), only unreadable by this version.
 * Envelopes that meet it are kept for the newer version (parked.ts), not rejected. `chatId`: whose state.
 */
export class NewerStateError extends SecretError {
  constructor(
    readonly chatId: string,
    readonly detail: string
  ) {
    super('newer_state', 'This secret chat was saved by a newer version of Cinder. Reload Cinder to update it.');
  }
}

/**
 * The device could not store what a received envelope did (a full disk, an aborted transaction): not
 * the sender's fault, so the envelope is not rejected but left on the relay (unacknowledged) to be
 * received again.
 */
export class StoreFailure extends Error {
  constructor(readonly cause: unknown) {
    super('This device could not store a message. It will try again.');
  }
}

/**
 * `e` as a StoreFailure when the device, not the sender, is why an envelope failed: a store failure,
 * or a sealed value under a vault key replaced meanwhile (the passcode was set or removed: the next
 * try uses the new key). Null for anything else.
 */
export function localFailure(e: unknown): StoreFailure | null {
  if (e instanceof StoreFailure) return e;
  if (e instanceof VaultError && e.code === 'stale_key') return new StoreFailure(e);
  return null;
}

export interface Diagnostics {
  rejected: number;
  byCode: Record<string, number>;
  recent: { at: number; code: string }[];
}

export const emptyDiagnostics = (): Diagnostics => ({ rejected: 0, byCode: {}, recent: [] });
