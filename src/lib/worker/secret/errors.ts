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

export interface Diagnostics {
  rejected: number;
  byCode: Record<string, number>;
  recent: { at: number; code: string }[];
}

export const emptyDiagnostics = (): Diagnostics => ({ rejected: 0, byCode: {}, recent: [] });
