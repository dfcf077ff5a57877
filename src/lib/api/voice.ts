/**
 * Voice messages: the metadata that travels with a recorded clip (cloud: the `x-cinder-voice` upload
 * header, sealed on the relay with the name and MIME type; secret: inside the encrypted file reference).
 * Every field is optional on the wire, so an attachment without it is an ordinary file, and a client
 * that knows nothing of voice messages still parses the message. Validated wherever it crosses a trust
 * boundary (the relay reads the header, the worker reads the peer's payload and its own RPC params).
 */
import { z } from './zod';
import { VOICE_DURATION_MAX_MS, VOICE_WAVEFORM_MAX } from './voice-limits';

export { VOICE_DURATION_MAX_MS, VOICE_RECORD_MAX_MS, VOICE_WAVEFORM_BARS, VOICE_WAVEFORM_MAX } from './voice-limits';

/** Upload header of `POST /api/cloud/media` carrying a voice clip's metadata (JSON of VoiceMeta). */
export const CLOUD_MEDIA_VOICE_HEADER = 'x-cinder-voice';

export const VoiceMeta = z.object({
  /** Length of the clip, milliseconds. */
  duration: z.number().check(z.int(), z.positive(), z.maximum(VOICE_DURATION_MAX_MS)),
  /** Loudness over the clip, one byte per bar (0 silent … 255 loudest). */
  waveform: z.array(z.number().check(z.int(), z.minimum(0), z.maximum(255))).check(z.minLength(1), z.maxLength(VOICE_WAVEFORM_MAX))
});
export type VoiceMeta = z.infer<typeof VoiceMeta>;

/** A voice clip is audio; its MIME type (parameters allowed) must say so. */
export const isAudioMime = (mime: string): boolean => /^audio\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;.*)?$/i.test(mime);

/** The header's value for a clip (ASCII JSON). */
export const voiceHeader = (v: VoiceMeta): string => JSON.stringify({ duration: v.duration, waveform: v.waveform });

/** Parses the header; null when absent, an error message when present but malformed. */
export function parseVoiceHeader(value: string | undefined): { ok: true; voice: VoiceMeta | null } | { ok: false; error: string } {
  if (value === undefined || value === '') return { ok: true, voice: null };
  if (value.length > 1024) return { ok: false, error: 'too long' };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, error: 'must be JSON' };
  }
  const r = VoiceMeta.safeParse(json);
  return r.success ? { ok: true, voice: r.data } : { ok: false, error: `${r.error.issues[0]?.path.join('.') || 'value'}: ${r.error.issues[0]?.message}` };
}
