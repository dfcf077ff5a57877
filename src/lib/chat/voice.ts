/**
 * The pure parts of voice messages (no DOM): which recording format to ask the engine for, how a
 * recording's loudness becomes the few bars of its waveform, and how a duration reads.
 */
import { VOICE_WAVEFORM_BARS } from '$lib/api/voice-limits';

/**
 * Formats in order of preference: Opus (Chromium and Firefox record it in WebM, Firefox also in Ogg),
 * then what WebKit records (AAC in MP4), then any audio the engine has.
 */
export const VOICE_MIME_PREFERENCE = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4', 'audio/webm', 'audio/ogg'] as const;

/** The first preferred format the engine can record; '' lets MediaRecorder pick its default. */
export function chooseVoiceMime(isTypeSupported: ((mime: string) => boolean) | undefined): string {
  if (!isTypeSupported) return '';
  for (const m of VOICE_MIME_PREFERENCE) {
    try {
      if (isTypeSupported(m)) return m;
    } catch {
      /* an engine that throws on an unknown type: try the next */
    }
  }
  return '';
}

/**
 * The MIME type a clip is sent and played with: the recorder's (or the requested) type without its
 * codec parameters, which the relay's MIME check refuses; audio/webm when the engine says nothing.
 */
export function voiceMime(recorded: string, requested: string): string {
  const base = (recorded || requested).split(';')[0].trim().toLowerCase();
  return /^audio\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(base) ? base : 'audio/webm';
}

/** A file name for the clip, from its type (e.g. voice-2026-12-04T23-10-00.webm). */
export function voiceFileName(mime: string, at: number): string {
  const ext = mime === 'audio/mp4' ? 'm4a' : mime === 'audio/ogg' ? 'ogg' : mime === 'audio/mpeg' ? 'mp3' : mime === 'audio/wav' ? 'wav' : 'webm';
  return `voice-${new Date(at).toISOString().slice(0, 19).replace(/:/g, '-')}.${ext}`;
}

/**
 * Resamples loudness levels (0..1, any count, in time order) to `bars` bytes (0..255): each bar is the
 * peak of its slice, then all bars are scaled so the loudest reaches 255 (a quiet recording still shows
 * its shape). Fewer levels than bars are stretched; none gives silent bars.
 */
export function downsampleWaveform(levels: ArrayLike<number>, bars: number = VOICE_WAVEFORM_BARS): number[] {
  const n = levels.length;
  const out = new Array<number>(bars).fill(0);
  if (n === 0 || bars <= 0) return out;
  for (let b = 0; b < bars; b++) {
    const from = Math.floor((b * n) / bars);
    const to = Math.max(from + 1, Math.floor(((b + 1) * n) / bars));
    let peak = 0;
    for (let i = from; i < to && i < n; i++) {
      const v = Number(levels[i]);
      if (Number.isFinite(v)) peak = Math.max(peak, Math.min(1, Math.abs(v)));
    }
    out[b] = peak;
  }
  const max = Math.max(...out);
  return out.map((v) => (max > 0 ? Math.round((v / max) * 255) : 0));
}

/** Loudness of one analyser frame (time-domain bytes centred on 128): its RMS, 0..1. */
export function frameLevel(frame: ArrayLike<number>): number {
  if (!frame.length) return 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = (Number(frame[i]) - 128) / 128;
    sum += v * v;
  }
  return Math.min(1, Math.sqrt(sum / frame.length));
}

/** 0:07, 1:05, 12:00 (minutes:seconds, rounded down). */
export function formatVoiceDuration(ms: number): string {
  const s = Math.max(0, Math.floor((Number.isFinite(ms) ? ms : 0) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
