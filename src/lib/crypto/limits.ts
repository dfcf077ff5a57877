/** Hard limits (DoS guards and forward-secrecy bounds). Changing them changes the spec. */
export const LIMITS = {
  /** Max counter jump accepted in one chain (n - expected, and pn - expected on a DH step). */
  maxSkipPerChain: 1000,
  /** Max stored skipped message keys per receiving chain (oldest evicted first). */
  maxSkippedPerChain: 1000,
  /** Max stored skipped message keys in total (oldest evicted first). */
  maxSkippedTotal: 2000,
  /** Skipped message keys older than this (by caller-supplied `now`, ms) are deleted. */
  skippedTtlMs: 7 * 24 * 3600 * 1000,
  /** Past remote ratchet keys remembered to classify old-chain replays as 'replay'. */
  maxPastRemoteKeys: 32,
  /** Per-chain counters are u32 on the wire. */
  maxCounter: 0xffffffff
} as const;
