// Lifecycle of the camera scanning loop with fake media/scanner objects:
// the camera must be released on result, on error and on stop — including a
// stop that happens while the permission prompt is still open.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAMERA_CONSTRAINTS, SCAN_ERROR_MESSAGES, classifyCameraError, startCameraSession, type CameraSessionOptions, type VideoSink } from '$lib/verify/camera-session';
import type { Scanner } from '$lib/verify/scanner';

function fakeStream() {
  const track = { stop: vi.fn() };
  return { track, stream: { getTracks: () => [track] } as unknown as MediaStream };
}

function fakeVideo(): VideoSink {
  return { srcObject: null, play: vi.fn(async () => {}) };
}

function scannerFrom(frames: Array<string | null | Error>): Scanner {
  let i = 0;
  return {
    backend: 'native',
    scanFrame: vi.fn(async () => {
      const f = frames[Math.min(i++, frames.length - 1)];
      if (f instanceof Error) throw f;
      return f;
    })
  };
}

const domError = (name: string) => Object.assign(new Error(name), { name });

function setup(over: Partial<CameraSessionOptions<VideoSink>> = {}) {
  const { track, stream } = fakeStream();
  const video = fakeVideo();
  const onresult = vi.fn();
  const onerror = vi.fn();
  const onscanning = vi.fn();
  const getUserMedia = vi.fn(async () => stream);
  const opts: CameraSessionOptions<VideoSink> = {
    video,
    getUserMedia,
    createScanner: async () => scannerFrom([null, null, 'cinder:v1:xyz']),
    onresult,
    onerror,
    onscanning,
    intervalMs: 10,
    ...over
  };
  const stop = startCameraSession(opts);
  return { stop, track, stream, video, onresult, onerror, onscanning, getUserMedia };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startCameraSession', () => {
  it('asks for the rear camera and reports the first code, then releases the camera', async () => {
    const s = setup();
    await vi.advanceTimersByTimeAsync(100);
    expect(s.getUserMedia).toHaveBeenCalledWith(CAMERA_CONSTRAINTS);
    expect(CAMERA_CONSTRAINTS.video).toEqual({ facingMode: { ideal: 'environment' } });
    expect(s.onscanning).toHaveBeenCalledTimes(1);
    expect(s.onresult).toHaveBeenCalledExactlyOnceWith('cinder:v1:xyz');
    expect(s.track.stop).toHaveBeenCalled();
    expect(s.video.srcObject).toBeNull();
    expect(s.onerror).not.toHaveBeenCalled();
  });

  it('scans on an interval (~8 fps at 125 ms) without overlapping frames', async () => {
    const scanner = scannerFrom([null]);
    setup({ createScanner: async () => scanner, intervalMs: 125 });
    await vi.advanceTimersByTimeAsync(1000);
    const calls = (scanner.scanFrame as ReturnType<typeof vi.fn>).mock.calls.length;
    expect(calls).toBeGreaterThanOrEqual(8);
    expect(calls).toBeLessThanOrEqual(9);
  });

  it('skips codes the filter rejects and keeps scanning', async () => {
    const s = setup({
      createScanner: async () => scannerFrom(['https://example.com', 'cinder:v1:ok']),
      accept: (t) => t.startsWith('cinder:')
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(s.onresult).toHaveBeenCalledExactlyOnceWith('cinder:v1:ok');
  });

  it('stop() releases the camera and no result is reported afterwards', async () => {
    const scanner = scannerFrom([null]);
    const s = setup({ createScanner: async () => scanner });
    await vi.advanceTimersByTimeAsync(30);
    s.stop();
    expect(s.track.stop).toHaveBeenCalled();
    const before = (scanner.scanFrame as ReturnType<typeof vi.fn>).mock.calls.length;
    await vi.advanceTimersByTimeAsync(500);
    expect((scanner.scanFrame as ReturnType<typeof vi.fn>).mock.calls.length).toBe(before);
    expect(s.onresult).not.toHaveBeenCalled();
    expect(s.onerror).not.toHaveBeenCalled();
  });

  it('stops a stream granted after stop() was called (prompt still open)', async () => {
    const { track, stream } = fakeStream();
    let grant!: (m: MediaStream) => void;
    const s = setup({ getUserMedia: () => new Promise<MediaStream>((r) => (grant = r)) });
    s.stop();
    grant(stream);
    await vi.advanceTimersByTimeAsync(50);
    expect(track.stop).toHaveBeenCalled();
    expect(s.video.srcObject).toBeNull();
    expect(s.onscanning).not.toHaveBeenCalled();
  });

  it.each([
    ['NotAllowedError', 'denied'],
    ['SecurityError', 'denied'],
    ['NotFoundError', 'no_camera'],
    ['OverconstrainedError', 'no_camera'],
    ['NotReadableError', 'failed']
  ] as const)('maps getUserMedia %s to %s', async (name, code) => {
    const s = setup({ getUserMedia: async () => Promise.reject(domError(name)) });
    await vi.advanceTimersByTimeAsync(10);
    expect(s.onerror).toHaveBeenCalledTimes(1);
    expect(s.onerror.mock.calls[0][0].code).toBe(code);
    expect(s.onerror.mock.calls[0][0].message).toContain(SCAN_ERROR_MESSAGES[code]);
  });

  it('reports unsupported without getUserMedia (e.g. insecure origin)', async () => {
    const s = setup({ getUserMedia: undefined });
    await vi.advanceTimersByTimeAsync(10);
    expect(s.onerror).toHaveBeenCalledWith({ code: 'unsupported', message: SCAN_ERROR_MESSAGES.unsupported });
  });

  it('stops the camera if the decoder cannot load', async () => {
    const s = setup({ createScanner: async () => Promise.reject(domError('ScannerUnsupportedError')) });
    await vi.advanceTimersByTimeAsync(10);
    expect(s.onerror.mock.calls[0][0].code).toBe('unsupported');
    expect(s.track.stop).toHaveBeenCalled();
  });

  it('gives up after repeated decode errors, tolerating transient ones', async () => {
    const s = setup({
      createScanner: async () => scannerFrom([new Error('glitch'), null, new Error('boom')]),
      maxFailures: 3
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(s.onerror).toHaveBeenCalledTimes(1);
    expect(s.onerror.mock.calls[0][0]).toEqual({ code: 'failed', message: `${SCAN_ERROR_MESSAGES.failed} (boom)` });
    expect(s.track.stop).toHaveBeenCalled();
  });
});

describe('classifyCameraError', () => {
  it('handles non-errors', () => {
    expect(classifyCameraError(undefined)).toBe('failed');
    expect(classifyCameraError('NotAllowedError')).toBe('failed');
    expect(classifyCameraError({ name: 'NotAllowedError' })).toBe('denied');
  });
});
