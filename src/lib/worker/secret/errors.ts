/**
 * What the core needs of the secret-chat engine before (or without) loading it: its error class and
 * the empty diagnostics. Kept apart from the engine (core.ts imports this file statically) so the
 * worker starts without the crypto code.
 */
export class SecretError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
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

export interface Diagnostics {
  rejected: number;
  byCode: Record<string, number>;
  recent: { at: number; code: string }[];
}

export const emptyDiagnostics = (): Diagnostics => ({ rejected: 0, byCode: {}, recent: [] });
