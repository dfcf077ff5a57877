import { randomBytes } from 'node:crypto';

/**
 * Small PDFs for the viewer tests, written by hand: a well-formed two-page one (a filled shape and a
 * line of Helvetica text on each page), a password-protected one and a damaged one. Shared by the Chromium E2E and the engine tests.
 */

/**
 * A valid PDF of `pages.length` pages, 300×400 pt each; each page gets a coloured block and its text.
 * `locked`: encrypted with the standard security handler (RC4, revision 2) under a user password whose
 * check values (/O, /U) are random, so no password, the empty one included, opens it.
 */
export function makePdf(pages: { text: string; rgb: [number, number, number] }[], locked = false): Buffer {
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  pages.forEach((p, i) => {
    const id = pageIds[i];
    const content = `${p.rgb.join(' ')} rg 30 220 240 150 re f 0 0 0 rg BT /F1 28 Tf 40 150 Td (${p.text}) Tj ET`;
    objects[id] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] /Resources << /Font << /F1 3 0 R >> >> /Contents ${id + 1} 0 R >>`;
    objects[id + 1] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  });
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = out.length;
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  const hex = (n: number) => randomBytes(n).toString('hex');
  const encrypt = locked ? ` /Encrypt << /Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -4 >> /ID [<${hex(16)}> <${hex(16)}>]` : '';
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R${encrypt} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export const TWO_PAGES = () =>
  makePdf([
    { text: 'Page one', rgb: [0.1, 0.4, 0.8] },
    { text: 'Page two', rgb: [0.8, 0.2, 0.1] }
  ]);

/** Two pages behind a password. */
export const LOCKED_PDF = () => makePdf([{ text: 'Locked', rgb: [0, 0, 0] }], true);

/** Says it is a PDF, but has no objects, no cross-reference table and no trailer. */
export const DAMAGED_PDF = () => Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Cat\n%%EOF\n', 'latin1');
