// The pure parts of voice messages: the recording format chosen per engine, the waveform's
// downsampling, loudness of an analyser frame, durations, file names, the header codec and the
// RPC params the worker accepts for a clip.
import { describe, expect, it } from 'vitest';
import { isAudioMime, parseVoiceHeader, VOICE_WAVEFORM_BARS, VoiceMeta, voiceHeader } from '$lib/api/voice';
import { chooseVoiceMime, downsampleWaveform, formatVoiceDuration, frameLevel, voiceFileName, voiceMime } from '$lib/chat/voice';
import { microphoneError } from '$lib/chat/voice-recorder.svelte';
import { parseParams } from '$lib/worker/rpc/methods';

const supports =
  (...types: string[]) =>
  (m: string) =>
    types.includes(m);

describe('chooseVoiceMime', () => {
  it('prefers Opus in WebM (Chromium, Firefox), then Ogg, then MP4 (WebKit)', () => {
    expect(chooseVoiceMime(supports('audio/webm', 'audio/webm;codecs=opus', 'audio/ogg;codecs=opus'))).toBe('audio/webm;codecs=opus');
    expect(chooseVoiceMime(supports('audio/ogg;codecs=opus', 'audio/mp4'))).toBe('audio/ogg;codecs=opus');
    expect(chooseVoiceMime(supports('audio/mp4'))).toBe('audio/mp4');
    expect(chooseVoiceMime(supports('audio/mp4;codecs=mp4a.40.2', 'audio/mp4'))).toBe('audio/mp4;codecs=mp4a.40.2');
  });
  it("leaves the choice to the engine when it has none of them, or can't say", () => {
    expect(chooseVoiceMime(supports('audio/x-weird'))).toBe('');
    expect(chooseVoiceMime(undefined)).toBe('');
    expect(
      chooseVoiceMime((m) => {
        if (m.includes('webm')) throw new Error('unknown');
        return m === 'audio/mp4';
      })
    ).toBe('audio/mp4');
  });
});

describe('voiceMime and voiceFileName', () => {
  it('drops codec parameters (the relay refuses them) and falls back to the requested type', () => {
    expect(voiceMime('audio/webm;codecs=opus', '')).toBe('audio/webm');
    expect(voiceMime('', 'audio/ogg;codecs=opus')).toBe('audio/ogg');
    expect(voiceMime('AUDIO/MP4', '')).toBe('audio/mp4');
    expect(voiceMime('', '')).toBe('audio/webm');
    expect(voiceMime('video/webm', '')).toBe('audio/webm');
  });
  it('names the file after its type', () => {
    const at = Date.UTC(2026, 11, 4, 23, 10, 5);
    expect(voiceFileName('audio/webm', at)).toBe('voice-2026-12-04T23-10-05.webm');
    expect(voiceFileName('audio/mp4', at)).toMatch(/\.m4a$/);
    expect(voiceFileName('audio/ogg', at)).toMatch(/\.ogg$/);
  });
});

describe('downsampleWaveform', () => {
  it('gives the requested number of bars, the peak of each slice, scaled so the loudest is 255', () => {
    const levels = Array.from({ length: 480 }, (_, i) => (Math.floor(i / 10) % 2 ? 0.2 : 0.1));
    const bars = downsampleWaveform(levels, 48);
    expect(bars).toHaveLength(48);
    expect(bars[0]).toBe(128); // 0.1 / 0.2
    expect(bars[1]).toBe(255);
    expect(bars.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)).toBe(true);
  });
  it('keeps a short peak that averaging would lose, and the default bar count', () => {
    const levels = new Array(1000).fill(0.01);
    levels[503] = 0.9;
    const bars = downsampleWaveform(levels);
    expect(bars).toHaveLength(VOICE_WAVEFORM_BARS);
    expect(bars.indexOf(255)).toBe(Math.floor((503 * VOICE_WAVEFORM_BARS) / 1000));
    expect(bars.filter((b) => b === 255)).toHaveLength(1);
  });
  it('stretches fewer levels than bars, and survives silence, nothing and bad values', () => {
    expect(downsampleWaveform([0.5, 1], 4)).toEqual([128, 128, 255, 255]);
    expect(downsampleWaveform([0, 0, 0], 5)).toEqual([0, 0, 0, 0, 0]);
    expect(downsampleWaveform([], 3)).toEqual([0, 0, 0]);
    expect(downsampleWaveform([NaN, Infinity, 0.5, 2], 2)).toEqual([0, 255]);
  });
  it('always yields metadata the schema accepts', () => {
    const bars = downsampleWaveform(Array.from({ length: 77 }, () => Math.random()));
    expect(VoiceMeta.safeParse({ duration: 1234, waveform: bars }).success).toBe(true);
  });
});

describe('frameLevel', () => {
  it('is 0 for silence (128) and near 1 for a full-scale square wave', () => {
    expect(frameLevel(new Uint8Array(64).fill(128))).toBe(0);
    expect(frameLevel(Uint8Array.from({ length: 64 }, (_, i) => (i % 2 ? 0 : 255)))).toBeGreaterThan(0.99);
    expect(frameLevel([])).toBe(0);
  });
});

describe('formatVoiceDuration', () => {
  it('reads minutes and seconds', () => {
    expect(formatVoiceDuration(0)).toBe('0:00');
    expect(formatVoiceDuration(7_999)).toBe('0:07');
    expect(formatVoiceDuration(65_000)).toBe('1:05');
    expect(formatVoiceDuration(12 * 60_000)).toBe('12:00');
    expect(formatVoiceDuration(-1)).toBe('0:00');
    expect(formatVoiceDuration(Infinity)).toBe('0:00');
  });
});

describe('the voice header', () => {
  it('round-trips, is absent-safe and reports what is wrong', () => {
    const v = { duration: 900, waveform: [0, 10, 255] };
    expect(parseVoiceHeader(voiceHeader(v))).toEqual({ ok: true, voice: v });
    expect(parseVoiceHeader(undefined)).toEqual({ ok: true, voice: null });
    expect(parseVoiceHeader('')).toEqual({ ok: true, voice: null });
    expect(parseVoiceHeader('{')).toEqual({ ok: false, error: 'must be JSON' });
    expect(parseVoiceHeader('x'.repeat(2000))).toEqual({ ok: false, error: 'too long' });
    expect(parseVoiceHeader(JSON.stringify({ duration: 1, waveform: [1.5] }))).toMatchObject({ ok: false, error: expect.stringMatching(/^waveform\.0/) });
  });
  it('isAudioMime', () => {
    expect(isAudioMime('audio/webm')).toBe(true);
    expect(isAudioMime('audio/webm;codecs=opus')).toBe(true);
    expect(isAudioMime('video/webm')).toBe(false);
    expect(isAudioMime('audio/')).toBe(false);
  });
});

describe('RPC params of a voice message', () => {
  const bytes = new Uint8Array(10).buffer;
  const voice = { duration: 1000, waveform: [1, 2, 3] };
  it('cloud: any file, and a voice message only as audio', () => {
    const base = { peerId: 'u1', name: 'voice.webm', bytes, ttl: 0 };
    expect(parseParams('cloudSendMedia', { ...base, mime: 'audio/webm', voice }).voice).toEqual(voice);
    // An audio file that is not a voice message is an ordinary file.
    expect(parseParams('cloudSendMedia', { ...base, mime: 'audio/webm' }).voice).toBeUndefined();
    expect(() => parseParams('cloudSendMedia', { ...base, mime: 'text/plain', voice })).toThrow(/must be audio/);
    expect(() => parseParams('cloudSendMedia', { ...base, mime: 'image/png', voice })).toThrow();
    expect(() => parseParams('cloudSendMedia', { ...base, mime: 'audio/webm', voice: { duration: 0, waveform: [1] } })).toThrow();
    expect(parseParams('cloudSendMedia', { ...base, mime: 'image/png' }).voice).toBeUndefined();
  });
  it('secret: any file, and voice metadata only on audio', () => {
    const base = { id: crypto.randomUUID(), name: 'voice.ogg', bytes };
    expect(parseParams('secretSendFile', { ...base, mime: 'audio/ogg', voice }).voice).toEqual(voice);
    expect(() => parseParams('secretSendFile', { ...base, mime: 'text/plain', voice })).toThrow(/must be audio/);
    expect(parseParams('secretSendFile', { ...base, mime: 'text/plain' }).voice).toBeUndefined();
  });
});

describe('microphoneError', () => {
  it('says what a refused or missing microphone means', () => {
    expect(microphoneError(new DOMException('x', 'NotAllowedError'))).toMatch(/refused/);
    expect(microphoneError(new DOMException('x', 'NotFoundError'))).toMatch(/No microphone/);
    expect(microphoneError(new DOMException('x', 'NotReadableError'))).toMatch(/in use/);
    expect(microphoneError('weird')).toMatch(/could not be used/);
  });
});
