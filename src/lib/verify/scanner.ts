// Camera-frame QR decoding for the browser. Uses the platform BarcodeDetector
// (Chrome/Android, Safari 17+ behind flags, …) when it can read QR codes, and
// otherwise lazy-loads the zxing-wasm ponyfill. The .wasm comes from our own
// build output (Vite `?url`), never from the CDN the ponyfill defaults to: the
// app must work offline and under a strict CSP.

export interface Scanner {
  /** 'native' = platform BarcodeDetector, 'wasm' = bundled zxing ponyfill. */
  readonly backend: 'native' | 'wasm';
  /** Text of the first QR code in the frame, or null if none (or the video has no frame yet). */
  scanFrame(source: ImageBitmapSource | HTMLVideoElement): Promise<string | null>;
}

/** Thrown when neither a native detector nor WebAssembly is available. */
export class ScannerUnsupportedError extends Error {
  constructor(message = 'QR scanning is not supported in this browser') {
    super(message);
    this.name = 'ScannerUnsupportedError';
  }
}

// Minimal shape of the Shape Detection API; TypeScript's DOM lib doesn't ship it.
interface DetectedCode {
  rawValue: string;
  format: string;
}
interface Detector {
  detect(source: ImageBitmapSource): Promise<DetectedCode[]>;
}
interface DetectorCtor {
  new (opts?: { formats?: string[] }): Detector;
  getSupportedFormats(): Promise<readonly string[]>;
}

function nativeDetectorCtor(): DetectorCtor | null {
  const ctor = (globalThis as { BarcodeDetector?: DetectorCtor }).BarcodeDetector;
  return typeof ctor === 'function' ? ctor : null;
}

async function loadWasmDetector(): Promise<DetectorCtor> {
  if (typeof WebAssembly !== 'object') throw new ScannerUnsupportedError();
  const [ponyfill, wasm] = await Promise.all([import('barcode-detector/ponyfill'), import('zxing-wasm/reader/zxing_reader.wasm?url')]);
  // barcode-detector bundles its own copy of the zxing glue code, so it must be
  // configured through its re-exported prepareZXingModule (not zxing-wasm's).
  // fireImmediately: fetch + compile now so a load failure surfaces here, not on
  // the first frame.
  await ponyfill.prepareZXingModule({
    overrides: {
      locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasm.default : prefix + path)
    },
    fireImmediately: true
  });
  return ponyfill.BarcodeDetector as unknown as DetectorCtor;
}

function isUnreadyVideo(source: unknown): boolean {
  // HTMLMediaElement.HAVE_CURRENT_DATA = 2; detect() throws InvalidStateError before that.
  return typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement && (source.readyState < 2 || source.videoWidth === 0);
}

function wrap(detector: Detector, backend: Scanner['backend']): Scanner {
  return {
    backend,
    async scanFrame(source) {
      if (isUnreadyVideo(source)) return null;
      const codes = await detector.detect(source);
      for (const c of codes) {
        if (c.format === 'qr_code' && typeof c.rawValue === 'string' && c.rawValue !== '') return c.rawValue;
      }
      return null;
    }
  };
}

/**
 * Creates a QR scanner. Prefers the native detector when it reports 'qr_code'
 * support; falls back to the wasm ponyfill. Rejects with ScannerUnsupportedError
 * when neither is possible, or with the underlying error if the wasm fails to load.
 */
export async function createScanner(): Promise<Scanner> {
  const Native = nativeDetectorCtor();
  if (Native) {
    try {
      const formats = await Native.getSupportedFormats();
      if (formats.includes('qr_code')) return wrap(new Native({ formats: ['qr_code'] }), 'native');
    } catch {
      // Some builds expose the constructor but throw (e.g. desktop Chrome without
      // the platform service); fall through to the wasm decoder.
    }
  }
  const Wasm = await loadWasmDetector();
  return wrap(new Wasm({ formats: ['qr_code'] }), 'wasm');
}
