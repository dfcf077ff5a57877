/**
 * A picked photo's or video's size in pixels, read in the page before sending (the peer reserves
 * that box before the bytes arrive). null when the browser cannot decode it: the file is still sent,
 * without a size.
 */
import { validDim } from './media-kind';

export type Dims = { width: number; height: number };

const checked = (width: number, height: number): Dims | null => (validDim(width) && validDim(height) ? { width, height } : null);

export async function mediaDims(file: Blob): Promise<Dims | null> {
  if (file.type.startsWith('image/')) {
    try {
      // Decoded as shown (EXIF orientation applied, as an <img> does).
      const bmp = await createImageBitmap(file);
      const d = checked(bmp.width, bmp.height);
      bmp.close();
      return d;
    } catch {
      return null;
    }
  }
  if (file.type.startsWith('video/')) {
    const url = URL.createObjectURL(file);
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'metadata';
    try {
      return await new Promise<Dims | null>((resolve) => {
        v.onloadedmetadata = () => resolve(checked(v.videoWidth, v.videoHeight));
        v.onerror = () => resolve(null);
        v.src = url;
      });
    } finally {
      v.removeAttribute('src');
      URL.revokeObjectURL(url);
    }
  }
  return null;
}
