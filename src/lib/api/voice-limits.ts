/**
 * Voice-message limits, apart from the schema in ./voice.ts so the pages that need a number (the
 * recorder, the waveform) do not pull zod into their bundle.
 */

/** Longest clip the recorder makes (ms): stops by itself there. */
export const VOICE_RECORD_MAX_MS = 10 * 60_000;
/** Longest duration accepted from anyone (ms): a clip of another client may be longer than ours. */
export const VOICE_DURATION_MAX_MS = 60 * 60_000;
/** Amplitude bars in a waveform (each 0..255). */
export const VOICE_WAVEFORM_BARS = 48;
export const VOICE_WAVEFORM_MAX = 64;
