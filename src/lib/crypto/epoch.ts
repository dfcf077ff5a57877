/**
 * Sealed addressing's day number (mailbox.ts). Its own file with no imports, so code that only needs
 * the day (the worker telling the relay its protocol at start) does not pull in the key derivation.
 */
export const EPOCH_MS = 86_400_000;

/** UTC day number of a time in ms. */
export const epochOf = (ms: number): number => Math.floor(ms / EPOCH_MS);
