/**
 * pdf.js for the in-app PDF viewer (PdfView.svelte). Only ever loaded with `import()` when a PDF
 * opens, so neither pdf.js nor its worker weigh on the first load (the service worker still
 * precaches both: they are ordinary build chunks). The legacy build carries its own polyfills:
 * the modern one calls `Map.prototype.getOrInsertComputed` and `Promise.try` without a fallback,
 * which iPhones on older iOS lack (docs/compatibility.md).
 *
 * Nothing is fetched: the bytes are handed over, eval stays off (the CSP forbids it), and the
 * optional data files (standard fonts, CJK CMaps, wasm image decoders) are not bundled, so a
 * non-embedded standard font falls back to a system font and the rare JPEG 2000 image is left out.
 */
import { getDocument, GlobalWorkerOptions, type PDFDocumentLoadingTask, type PDFPageProxy, type RenderTask } from 'pdfjs-dist/legacy/build/pdf.mjs';
// Bundled as a worker of our own origin (it lands in _app/immutable/workers, precompressed and precached).
import workerUrl from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?worker&url';

GlobalWorkerOptions.workerSrc = workerUrl;

/** Why a PDF could not be opened. */
export type PdfFailure = 'password' | 'damaged';

export class PdfOpenError extends Error {
  constructor(readonly reason: PdfFailure) {
    super(reason === 'password' ? 'The PDF is protected by a password' : 'The PDF is damaged or not a PDF');
  }
}

/** Width and height of a page at scale 1 (PDF points). */
export interface PageSize {
  width: number;
  height: number;
}

/** An open document: its pages render on demand; `destroy` ends its worker and drops its bytes. */
export interface PdfDoc {
  readonly pages: number;
  size(page: number): Promise<PageSize>;
  /** Draws page `page` (1-based) into `canvas`, `cssWidth` CSS pixels wide, at `dpr` device pixels per CSS pixel. */
  render(page: number, canvas: HTMLCanvasElement, cssWidth: number, dpr: number): Promise<void>;
  destroy(): Promise<void>;
}

/** Opens `bytes` (handed to pdf.js's worker, which takes ownership of the buffer). */
export async function openPdf(bytes: Uint8Array): Promise<PdfDoc> {
  const task: PDFDocumentLoadingTask = getDocument({
    data: bytes,
    isEvalSupported: false,
    enableXfa: false,
    useWasm: false,
    useSystemFonts: true,
    stopAtErrors: false,
    verbosity: 0
  });
  // No `onPassword`: a password PDF then rejects with a PasswordException (Cinder does not ask for one).
  let doc;
  try {
    doc = await task.promise;
  } catch (e) {
    await task.destroy();
    throw new PdfOpenError(e instanceof Error && e.name === 'PasswordException' ? 'password' : 'damaged');
  }
  const pages = new Map<number, Promise<PDFPageProxy>>();
  const running = new Map<HTMLCanvasElement, RenderTask>();
  const page = (n: number) => {
    let p = pages.get(n);
    if (!p) pages.set(n, (p = doc.getPage(n)));
    return p;
  };
  return {
    pages: doc.numPages,
    async size(n) {
      const vp = (await page(n)).getViewport({ scale: 1 });
      return { width: vp.width, height: vp.height };
    },
    async render(n, canvas, cssWidth, dpr) {
      running.get(canvas)?.cancel();
      const p = await page(n);
      const base = p.getViewport({ scale: 1 });
      const viewport = p.getViewport({ scale: (cssWidth / base.width) * dpr });
      canvas.width = Math.max(1, Math.floor(viewport.width));
      canvas.height = Math.max(1, Math.floor(viewport.height));
      const job = p.render({ canvas, viewport, background: '#ffffff' });
      running.set(canvas, job);
      try {
        await job.promise;
      } catch (e) {
        // A newer render of the same canvas (resize, scroll back) replaced this one.
        if (!(e instanceof Error && e.name === 'RenderingCancelledException')) throw e;
      } finally {
        if (running.get(canvas) === job) running.delete(canvas);
      }
    },
    async destroy() {
      for (const job of running.values()) job.cancel();
      running.clear();
      pages.clear();
      await task.destroy();
    }
  };
}
