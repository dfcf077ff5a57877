// Renders our QR matrix to pixels and decodes it with zxing-wasm (the same
// decoder the browser fallback uses), loading the .wasm from node_modules — no network.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { ZXING_WASM_SHA256 as PONYFILL_WASM_SHA256 } from 'barcode-detector/ponyfill';
import { encodeQrMatrix, qrSvg, qrSvgPath, type QrMatrix } from '$lib/verify/qr-encode';
import { encodeQrPayload, parseQrPayload, compareScanned } from '$lib/verify/qr-payload';
import vectors from '../../fixtures/verify-vectors.json';
import { fromHex, pathToCells } from './helpers';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('zxing-wasm/reader/zxing_reader.wasm');
const wasmBytes = readFileSync(wasmPath);

/** Rasterises the matrix (quiet zone included) to an RGBA ImageData-like object. */
function rasterise(m: QrMatrix, scale = 4) {
  const width = m.size * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      if (m.modules[Math.floor(y / scale)][Math.floor(x / scale)]) {
        const o = (y * width + x) * 4;
        data[o] = data[o + 1] = data[o + 2] = 0;
      }
    }
  }
  return { data, width, height: width, colorSpace: 'srgb' as const } as unknown as ImageData;
}

async function decode(m: QrMatrix, scale?: number): Promise<string[]> {
  const results = await readBarcodes(rasterise(m, scale), { formats: ['QRCode'], tryHarder: true });
  return results.filter((r) => r.isValid).map((r) => r.text);
}

beforeAll(async () => {
  await prepareZXingModule({
    overrides: { wasmBinary: wasmBytes.buffer.slice(wasmBytes.byteOffset, wasmBytes.byteOffset + wasmBytes.byteLength) as ArrayBuffer },
    fireImmediately: true
  });
});

describe('QR encode → zxing decode', () => {
  const keys = { alice: fromHex(vectors.keys.alice), bob: fromHex(vectors.keys.bob) };

  for (const q of vectors.qr) {
    it(`decodes the ${q.fingerprint} ${q.owner}→${q.peer} vector back to the same text`, async () => {
      const m = encodeQrMatrix(q.text);
      expect(await decode(m)).toEqual([q.text]);
    });
  }

  it('decodes at level Q and at 2 px/module too', async () => {
    const text = vectors.qr[0].text;
    expect(await decode(encodeQrMatrix(text, { ecc: 'Q' }))).toEqual([text]);
    expect(await decode(encodeQrMatrix(text), 2)).toEqual([text]);
  });

  it('scanned text parses and matches the counterpart', async () => {
    const fp = fromHex(vectors.fingerprints[0].fingerprint);
    const bobText = encodeQrPayload({ fingerprint: fp, ownerKey: keys.bob, peerKey: keys.alice });
    const [scanned] = await decode(encodeQrMatrix(bobText));
    const parsed = parseQrPayload(scanned);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(compareScanned(parsed, { fingerprint: fp, ownerKey: keys.alice, peerKey: keys.bob })).toBe('match');
  });

  it('has a 4-module quiet zone and a modest version', () => {
    const m = encodeQrMatrix(vectors.qr[0].text);
    expect(m.version).toBeLessThanOrEqual(8); // 146 chars, byte mode, level M
    for (let i = 0; i < m.size; i++) {
      for (const j of [0, 1, 2, 3, m.size - 4, m.size - 3, m.size - 2, m.size - 1]) {
        expect(m.modules[j][i]).toBe(false);
        expect(m.modules[i][j]).toBe(false);
      }
    }
    // Finder pattern corner starts right inside the quiet zone.
    expect(m.modules[4][4]).toBe(true);
  });

  it('SVG path reproduces the matrix exactly', () => {
    const m = encodeQrMatrix(vectors.qr[2].text);
    expect(pathToCells(qrSvgPath(m), m.size)).toEqual(m.modules);
    const svg = qrSvg(vectors.qr[2].text);
    expect(svg).toContain(`viewBox="0 0 ${m.size} ${m.size}"`);
    expect(svg).toContain('fill="#fff"');
  });

  it('the browser fallback ships the same wasm binary the ponyfill expects', () => {
    // scanner.ts serves zxing-wasm's reader .wasm to barcode-detector's bundled glue
    // code; they must be the same build or instantiation fails at runtime.
    expect(createHash('sha256').update(wasmBytes).digest('hex')).toBe(PONYFILL_WASM_SHA256);
  });
});
