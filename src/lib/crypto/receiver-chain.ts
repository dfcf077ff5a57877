/**
 * Receiver chain: the peer's ratchet public key, our chain key for it, and the next expected message
 * number. Advancing past gaps stores the skipped message keys (bounded by LIMITS).
 */
import { advanceChainKey } from './chain-key.js';
import { zeroize } from './bytes.js';
import { fail } from './errors.js';
import { LIMITS } from './limits.js';
import { addSkipped, type SkippedKey } from './skipped-keys.js';

export interface ReceiverChain {
  ratchetPub: Uint8Array;
  chainKey: Uint8Array;
  n: number; // next expected message number
}

/** Throws 'too_far_ahead' if reaching `until` needs more than maxSkipPerChain steps. */
export function checkJump(chain: ReceiverChain, until: number): void {
  if (until - chain.n > LIMITS.maxSkipPerChain) fail('too_far_ahead', `jump of ${until - chain.n}`);
}

/** Advances the chain to `until`, storing the keys for chain.n .. until-1. Mutates chain + skipped. */
export function skipUntil(chain: ReceiverChain, until: number, skipped: SkippedKey[], now: number): void {
  checkJump(chain, until);
  while (chain.n < until) {
    const step = advanceChainKey(chain.chainKey);
    addSkipped(skipped, { ratchetPub: chain.ratchetPub, n: chain.n, messageKey: step.messageKey, storedAt: now });
    zeroize(chain.chainKey);
    chain.chainKey = step.chainKey;
    chain.n++;
  }
}

/** Returns the message key for chain.n and advances by one. Mutates chain. */
export function nextMessageKey(chain: ReceiverChain): Uint8Array {
  const step = advanceChainKey(chain.chainKey);
  zeroize(chain.chainKey);
  chain.chainKey = step.chainKey;
  chain.n++;
  return step.messageKey;
}
