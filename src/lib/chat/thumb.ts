/**
 * A small picture of a photo or video scheduled from this device (the Scheduled messages view shows
 * it): drawn again at most THUMB_SIDE pixels on its longer side (no metadata kept), as JPEG. A video
 * gives its first frame when the browser can decode it. null when it cannot be drawn (the view shows
 * the kind's icon): never a reason not to schedule.
 */
import { THUMB_MAX } from '$lib/api/thumb';

const THUMB_SIDE = 160;
/** How long a video's frame is waited for (ms). */
const VIDEO_WAIT = 3000;

async function encode(source: CanvasImageSource, width: number, height: number): Promise<ArrayBuffer | null> {
  if (!width || !height) return null;
  const scale = Math.min(1, THUMB_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const g = canvas.getContext('2d');
  if (!g) return null;
  // A transparent picture gets a white ground (JPEG has no transparency).
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(source, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, 'image/jpeg', 0.7));
  return blob && blob.size <= THUMB_MAX ? blob.arrayBuffer() : null;
}

async function videoFrame(file: Blob): Promise<ArrayBuffer | null> {
  const url = URL.createObjectURL(file);
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'auto';
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const ready = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), VIDEO_WAIT);
      v.onloadeddata = () => (v.currentTime = Math.min(0.1, v.duration / 2 || 0));
      v.onseeked = () => resolve(true);
      v.onerror = () => resolve(false);
      v.src = url;
    });
    return ready ? await encode(v, v.videoWidth, v.videoHeight) : null;
  } finally {
    clearTimeout(timer);
    v.removeAttribute('src');
    v.load();
    URL.revokeObjectURL(url);
  }
}

export async function makeThumb(file: Blob): Promise<ArrayBuffer | null> {
  try {
    if (file.type.startsWith('image/')) {
      const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
      try {
        return await encode(bmp, bmp.width, bmp.height);
      } finally {
        bmp.close();
      }
    }
    if (file.type.startsWith('video/')) return await videoFrame(file);
  } catch {
    // Not decodable here: the icon instead.
  }
  return null;
}
