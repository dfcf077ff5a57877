// Camera → QR scanning loop, separated from QrScanner.svelte so the lifecycle
// (who stops the camera, when) is testable without a browser. Everything
// platform-specific is injected.
import type { Scanner } from './scanner';

export type ScanErrorCode = 'denied' | 'no_camera' | 'unsupported' | 'failed';
export interface ScanError {
  code: ScanErrorCode;
  message: string;
}

export const SCAN_ERROR_MESSAGES: Record<ScanErrorCode, string> = {
  denied: 'Camera access was blocked. Allow camera access for this site in your browser settings, then tap “Scan again”.',
  no_camera: 'No camera was found on this device. You can compare the emoji or key picture instead.',
  unsupported: 'This browser can’t scan QR codes. Compare the emoji or key picture instead, or open Cinder in an up-to-date browser.',
  failed: 'The camera could not be started. Close other apps that may be using it and try again.'
};

/** Maps getUserMedia / scanner errors (DOMException names) to our four codes. */
export function classifyCameraError(err: unknown): ScanErrorCode {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError': // legacy Chrome
    case 'SecurityError': // permissions policy / insecure context
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError': // legacy Chrome
    case 'OverconstrainedError':
      return 'no_camera';
    case 'NotSupportedError':
    case 'ScannerUnsupportedError':
      return 'unsupported';
    default:
      return 'failed';
  }
}

/** The bits of HTMLVideoElement we use. */
export interface VideoSink {
  srcObject: MediaProvider | null;
  play(): Promise<void>;
}

export interface CameraSessionOptions<V extends VideoSink> {
  video: V;
  /** navigator.mediaDevices.getUserMedia, or undefined where unavailable (e.g. http origins). */
  getUserMedia: ((c: MediaStreamConstraints) => Promise<MediaStream>) | undefined;
  createScanner: () => Promise<Scanner>;
  /** Return false to ignore a decoded code and keep scanning. */
  accept?: (text: string) => boolean;
  onscanning?: () => void;
  /** Called after the camera has been released. */
  onresult: (text: string) => void;
  /** Called after the camera has been released. */
  onerror: (e: ScanError) => void;
  intervalMs?: number;
  /** Consecutive decode errors tolerated before giving up (a frame can fail transiently). */
  maxFailures?: number;
}

export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  video: { facingMode: { ideal: 'environment' } },
  audio: false
};

/**
 * Starts the camera and scans until a code is accepted, an error occurs, or the
 * returned stop function is called. The camera is always released in each case,
 * including when stop() happens while the permission prompt is still open.
 */
export function startCameraSession<V extends VideoSink>(opts: CameraSessionOptions<V>): () => void {
  const { video, intervalMs = 125, maxFailures = 20 } = opts;
  let stopped = false;
  let stream: MediaStream | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
  };
  const stop = () => {
    stopped = true;
    release();
  };
  const fail = (code: ScanErrorCode, detail?: unknown) => {
    if (stopped) return;
    stop();
    const extra = code === 'failed' && detail instanceof Error && detail.message ? ` (${detail.message})` : '';
    opts.onerror({ code, message: SCAN_ERROR_MESSAGES[code] + extra });
  };

  void (async () => {
    if (!opts.getUserMedia) return fail('unsupported');
    let scanner: Scanner;
    try {
      // Camera prompt and decoder load in parallel. allSettled so that a stream
      // granted while the decoder failed still gets stopped.
      const [s, media] = await Promise.allSettled([opts.createScanner(), opts.getUserMedia(CAMERA_CONSTRAINTS)]);
      if (media.status === 'fulfilled') stream = media.value;
      if (stopped) return release(); // stopped while the prompt was open
      if (media.status === 'rejected') return fail(classifyCameraError(media.reason), media.reason);
      if (s.status === 'rejected') return fail(classifyCameraError(s.reason), s.reason);
      scanner = s.value;
    } catch (err) {
      return fail('failed', err);
    }

    video.srcObject = stream;
    try {
      await video.play();
    } catch {
      // Muted inline video may autoplay anyway; scanFrame() waits for frames.
    }
    if (stopped) return;
    opts.onscanning?.();

    let failures = 0;
    const tick = async () => {
      if (stopped) return;
      try {
        const text = await scanner.scanFrame(video as unknown as HTMLVideoElement);
        failures = 0;
        if (stopped) return;
        if (text !== null && (!opts.accept || opts.accept(text))) {
          stop();
          opts.onresult(text);
          return;
        }
      } catch (err) {
        if (++failures >= maxFailures) return fail('failed', err);
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
  })();

  return stop;
}
