/**
 * Records a voice message from the microphone: MediaRecorder in the best format the engine has
 * (./voice.ts), an AnalyserNode sampled every 80 ms for the live waveform and the clip's stored one,
 * and the elapsed time. One recording at a time; `finish` hands back the clip, `cancel` drops it.
 * Every path releases the microphone (tracks stopped) and the AudioContext.
 */
import type { VoiceMeta } from '$lib/api/voice';
import { VOICE_RECORD_MAX_MS } from '$lib/api/voice-limits';
import { chooseVoiceMime, downsampleWaveform, frameLevel, voiceFileName, voiceMime } from './voice';

export interface VoiceClip {
  blob: Blob;
  mime: string;
  name: string;
  voice: VoiceMeta;
}

const SAMPLE_MS = 80;
/** Bars of the live waveform shown while recording. */
export const LIVE_BARS = 40;

/** What a failed getUserMedia means to a person. */
export function microphoneError(e: unknown): string {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return "Microphone access was refused. Allow the microphone for this site in the browser's settings to record voice messages.";
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Connect one to record voice messages.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone could not be started. It may be in use by another app.';
    default:
      return 'The microphone could not be used to record a voice message.';
  }
}

export class VoiceRecorder {
  status = $state<'idle' | 'starting' | 'recording' | 'stopping'>('idle');
  error = $state<string | null>(null);
  elapsed = $state(0);
  /** The newest loudness levels (0..1), oldest first, for the live waveform. */
  live = $state<number[]>([]);

  /** Called when a recording reaches VOICE_RECORD_MAX_MS: the caller sends it. */
  onlimit: (() => void) | null = null;

  private stream: MediaStream | null = null;
  private audio: AudioContext | null = null;
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];
  private levels: number[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private startedAt = 0;
  private requested = '';
  /** Bumped by cancel: a start still waiting for the microphone then gives it back. */
  private generation = 0;

  get active(): boolean {
    return this.status !== 'idle';
  }

  async start(): Promise<boolean> {
    if (this.status !== 'idle') return false;
    this.error = null;
    const media = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    if (!media?.getUserMedia || typeof MediaRecorder === 'undefined') {
      this.error = 'This browser cannot record audio, so voice messages cannot be recorded here.';
      return false;
    }
    this.status = 'starting';
    const gen = ++this.generation;
    // Created now, while the tap is still a user gesture: one created after the permission prompt may
    // stay suspended (WebKit, and Chromium once the gesture has expired) and the waveform silent.
    this.openAudio();
    let stream: MediaStream;
    try {
      stream = await media.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (e) {
      if (gen === this.generation) {
        this.release();
        this.status = 'idle';
        this.error = microphoneError(e);
      }
      return false;
    }
    if (gen !== this.generation) {
      stream.getTracks().forEach((t) => t.stop());
      return false;
    }
    this.stream = stream;
    try {
      this.requested = chooseVoiceMime((m) => MediaRecorder.isTypeSupported(m));
      const recorder = new MediaRecorder(stream, this.requested ? { mimeType: this.requested } : undefined);
      this.chunks = [];
      recorder.ondataavailable = (e) => {
        if (e.data.size) this.chunks.push(e.data);
      };
      this.recorder = recorder;
      this.startAnalyser(stream);
      recorder.start(1000);
    } catch {
      this.release();
      this.status = 'idle';
      this.error = 'This browser could not start recording audio.';
      return false;
    }
    this.levels = [];
    this.live = [];
    this.elapsed = 0;
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.status = 'recording';
    return true;
  }

  private analyser: AnalyserNode | null = null;
  private frame: Uint8Array<ArrayBuffer> | null = null;

  private openAudio() {
    try {
      const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
      if (!Ctx) return;
      this.audio = new Ctx();
      void this.audio.resume().catch(() => undefined);
    } catch {
      this.audio = null;
    }
  }

  private startAnalyser(stream: MediaStream) {
    try {
      if (!this.audio) return;
      const source = this.audio.createMediaStreamSource(stream);
      this.analyser = this.audio.createAnalyser();
      this.analyser.fftSize = 1024;
      source.connect(this.analyser);
      this.frame = new Uint8Array(this.analyser.fftSize);
      void this.audio.resume().catch(() => undefined);
    } catch {
      // No waveform then; the recording itself goes on.
      this.analyser = null;
    }
  }

  private sample() {
    this.elapsed = performance.now() - this.startedAt;
    let level = 0;
    if (this.analyser && this.frame) {
      this.analyser.getByteTimeDomainData(this.frame);
      level = frameLevel(this.frame);
    }
    this.levels.push(level);
    this.live = [...this.live.slice(-(LIVE_BARS - 1)), level];
    if (this.elapsed >= VOICE_RECORD_MAX_MS) this.onlimit?.();
  }

  /** Stops recording and returns the clip (null if nothing was recorded). */
  async finish(): Promise<VoiceClip | null> {
    const recorder = this.recorder;
    if (this.status !== 'recording' || !recorder) return null;
    this.status = 'stopping';
    this.elapsed = performance.now() - this.startedAt;
    const duration = Math.max(1, Math.round(this.elapsed));
    clearInterval(this.timer);
    const stopped = new Promise<void>((resolve) => {
      recorder.onstop = () => resolve();
      recorder.onerror = () => resolve();
    });
    try {
      if (recorder.state !== 'inactive') recorder.stop();
      else recorder.onstop?.(new Event('stop'));
    } catch {
      /* already stopped */
    }
    await stopped;
    const mime = voiceMime(recorder.mimeType, this.requested);
    const blob = new Blob(this.chunks, { type: mime });
    const waveform = downsampleWaveform(this.levels);
    this.release();
    this.status = 'idle';
    if (!blob.size) {
      this.error = 'Nothing was recorded. Check the microphone and try again.';
      return null;
    }
    return { blob, mime, name: voiceFileName(mime, Date.now()), voice: { duration, waveform } };
  }

  /** Drops the recording (or a start still asking for the microphone). */
  cancel() {
    this.generation++;
    const recorder = this.recorder;
    if (recorder) {
      recorder.ondataavailable = null;
      try {
        if (recorder.state !== 'inactive') recorder.stop();
      } catch {
        /* already stopped */
      }
    }
    clearInterval(this.timer);
    this.release();
    this.status = 'idle';
  }

  private release() {
    clearInterval(this.timer);
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.recorder = null;
    this.chunks = [];
    this.analyser = null;
    this.frame = null;
    void this.audio?.close().catch(() => undefined);
    this.audio = null;
  }
}
