// QR rendering of the verification payload via uqr (pure JS, no canvas).
import { encode } from 'uqr';

export type QrEcc = 'M' | 'Q';

export interface QrMatrix {
  /** Modules per side, quiet zone included. */
  size: number;
  /** QR version 1..40 (payload-dependent; ~8 for a v1 Cinder code at level M). */
  version: number;
  /** modules[y][x] === true for a dark module. Quiet-zone modules are false. */
  modules: boolean[][];
}

export interface QrEncodeOptions {
  /** M (15%) by default: a phone screen is clean, and a lower version means bigger modules. */
  ecc?: QrEcc;
  /** Light border in modules; the spec asks for 4 and scanners struggle with less. */
  quietZone?: number;
}

export function encodeQrMatrix(text: string, opts: QrEncodeOptions = {}): QrMatrix {
  const { ecc = 'M', quietZone = 4 } = opts;
  if (!Number.isInteger(quietZone) || quietZone < 0 || quietZone > 16) {
    throw new RangeError('quietZone must be an integer 0..16');
  }
  // uqr picks numeric/alphanumeric/byte mode itself; our text is ASCII (lowercase
  // included), so it goes out verbatim in byte mode. `border` adds the quiet zone.
  const qr = encode(text, { ecc, border: quietZone });
  const modules = qr.data.map((row) => row.map((dark) => dark === true));
  const size = qr.size;
  return { size, version: qr.version, modules };
}

/**
 * SVG path data for the dark modules (1 unit per module, horizontal runs merged).
 * Draw it over a white rect of `size`×`size` in a `0 0 size size` viewBox.
 */
export function qrSvgPath(m: QrMatrix): string {
  let d = '';
  for (let y = 0; y < m.size; y++) {
    const row = m.modules[y];
    let x = 0;
    while (x < m.size) {
      if (!row[x]) {
        x++;
        continue;
      }
      let run = 1;
      while (x + run < m.size && row[x + run]) run++;
      d += `M${x} ${y}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return d;
}

/** Complete standalone SVG document (white background, quiet zone included). */
export function qrSvg(text: string, opts: QrEncodeOptions & { pixelsPerModule?: number } = {}): string {
  const m = encodeQrMatrix(text, opts);
  const px = m.size * (opts.pixelsPerModule ?? 8);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${m.size} ${m.size}" width="${px}" height="${px}" shape-rendering="crispEdges">` +
    `<rect width="${m.size}" height="${m.size}" fill="#fff"/><path d="${qrSvgPath(m)}" fill="#000"/></svg>`
  );
}
