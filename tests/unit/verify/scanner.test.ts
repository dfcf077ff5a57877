// scanner.ts backend selection, with a fake native BarcodeDetector. The wasm
// fallback itself is exercised in qr-decode.test.ts (same zxing build).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScanner, ScannerUnsupportedError } from '$lib/verify/scanner';

type G = { BarcodeDetector?: unknown };

function fakeDetector(formats: string[], results: Array<{ rawValue: string; format: string }>) {
  const created: unknown[] = [];
  class FakeDetector {
    static getSupportedFormats = vi.fn(async () => formats);
    constructor(opts: unknown) {
      created.push(opts);
    }
    detect = vi.fn(async () => results);
  }
  return { FakeDetector, created };
}

afterEach(() => {
  delete (globalThis as G).BarcodeDetector;
  vi.doUnmock('barcode-detector/ponyfill');
  vi.resetModules();
});

describe('createScanner', () => {
  it('uses the native BarcodeDetector when it supports qr_code', async () => {
    const { FakeDetector, created } = fakeDetector(
      ['ean_13', 'qr_code'],
      [
        { rawValue: 'ignored', format: 'ean_13' },
        { rawValue: '', format: 'qr_code' },
        { rawValue: 'cinder:v1:abc', format: 'qr_code' }
      ]
    );
    (globalThis as G).BarcodeDetector = FakeDetector;
    const scanner = await createScanner();
    expect(scanner.backend).toBe('native');
    expect(created).toEqual([{ formats: ['qr_code'] }]);
    expect(await scanner.scanFrame({} as ImageBitmap)).toBe('cinder:v1:abc');
  });

  it('returns null when no QR code is in the frame', async () => {
    const { FakeDetector } = fakeDetector(['qr_code'], []);
    (globalThis as G).BarcodeDetector = FakeDetector;
    const scanner = await createScanner();
    expect(await scanner.scanFrame({} as ImageBitmap)).toBeNull();
  });

  it('falls back to the ponyfill, pointing it at our own wasm URL', async () => {
    const { FakeDetector } = fakeDetector(['ean_13'], []); // native without qr_code
    (globalThis as G).BarcodeDetector = FakeDetector;
    const prepare = vi.fn(async () => ({}));
    const { FakeDetector: Pony } = fakeDetector(['qr_code'], [{ rawValue: 'from-wasm', format: 'qr_code' }]);
    vi.doMock('barcode-detector/ponyfill', () => ({ BarcodeDetector: Pony, prepareZXingModule: prepare }));
    const { createScanner: create } = await import('$lib/verify/scanner');

    const scanner = await create();
    expect(scanner.backend).toBe('wasm');
    expect(await scanner.scanFrame({} as ImageBitmap)).toBe('from-wasm');

    expect(prepare).toHaveBeenCalledTimes(1);
    const opts = (prepare.mock.calls[0] as unknown as [{ overrides: { locateFile: (p: string, pre: string) => string }; fireImmediately: boolean }])[0];
    expect(opts.fireImmediately).toBe(true);
    const url = opts.overrides.locateFile('zxing_reader.wasm', 'https://fastly.jsdelivr.net/npm/');
    expect(url).not.toMatch(/jsdelivr|unpkg|^https?:/);
    expect(url).toMatch(/zxing_reader\.wasm/);
  });

  it('exposes a typed unsupported error', () => {
    const e = new ScannerUnsupportedError();
    expect(e.name).toBe('ScannerUnsupportedError');
    expect(e).toBeInstanceOf(Error);
  });
});
