/**
 * A picked picture made into a profile photo on this device: decoded upright (its EXIF orientation
 * applied), its centre square cut and drawn again at most 512×512, encoded as WebP (JPEG where the
 * browser cannot write WebP). Drawing it anew leaves every metadata of the file behind (EXIF, GPS).
 */
import { PHOTO_MAX, PHOTO_SIDE, type PhotoType } from '$lib/api/photo';

export const NOT_AN_IMAGE = 'This file is not a picture Cinder can read. Choose a JPEG, PNG, WebP or GIF image.';

const TRIES: [PhotoType, number][] = [
  ['image/webp', 0.85],
  ['image/jpeg', 0.85],
  ['image/jpeg', 0.7],
  ['image/jpeg', 0.5]
];

export async function encodePhoto(file: Blob): Promise<{ bytes: ArrayBuffer; type: PhotoType }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(NOT_AN_IMAGE);
  }
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    if (!side) throw new Error(NOT_AN_IMAGE);
    const out = Math.min(PHOTO_SIDE, side);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = out;
    const g = canvas.getContext('2d');
    if (!g) throw new Error('This browser cannot draw the photo.');
    // A transparent picture gets a white ground (JPEG has no transparency).
    g.fillStyle = '#fff';
    g.fillRect(0, 0, out, out);
    g.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, out, out);
    for (const [type, quality] of TRIES) {
      const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, type, quality));
      // A browser that cannot write the type gives PNG instead: try the next.
      if (blob && blob.type === type && blob.size <= PHOTO_MAX) return { bytes: await blob.arrayBuffer(), type };
    }
    throw new Error('This picture could not be made small enough. Try another.');
  } finally {
    bitmap.close();
  }
}
