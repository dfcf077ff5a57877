/**
 * Uploads a file to a cloud chat (`POST /api/cloud/media`, docs/api.md "Cloud media"): the upload a
 * message then names, sent at once (./rpc/media.ts `cloudSendMedia`) or scheduled (./rpc/scheduled.ts).
 * The name loses control characters and slashes (the relay refuses them); the MIME type is lower-cased.
 */
import { CLOUD_MEDIA_VOICE_HEADER, voiceHeader, type VoiceMeta } from '$lib/api/voice';
import { CLOUD_MEDIA_DIMS_HEADER, dimsHeader } from '$lib/api/media-dims';
import { CLOUD_MEDIA_MIME_HEADER, CLOUD_MEDIA_NAME_HEADER, CLOUD_MEDIA_TO_USER_HEADER } from '$lib/api/wire';
import { uploadBytes } from './media';

export interface CloudFile {
  name: string;
  mime: string;
  bytes: Uint8Array;
  voice?: VoiceMeta;
  width?: number;
  height?: number;
}

/** The upload's id at the relay; `onProgress` gets its bytes as they go. */
export function uploadCloudFile(peerId: string, f: CloudFile, onProgress: (loaded: number, total: number) => void): Promise<string> {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  const safeName = f.name.replace(/[\u0000-\u001f\u007f/\\]/g, '_');
  return uploadBytes(
    '/api/cloud/media',
    {
      [CLOUD_MEDIA_TO_USER_HEADER]: peerId,
      [CLOUD_MEDIA_MIME_HEADER]: f.mime.toLowerCase(),
      [CLOUD_MEDIA_NAME_HEADER]: encodeURIComponent(safeName),
      ...(f.voice ? { [CLOUD_MEDIA_VOICE_HEADER]: voiceHeader(f.voice) } : {}),
      ...(f.width && f.height ? { [CLOUD_MEDIA_DIMS_HEADER]: dimsHeader(f.width, f.height) } : {})
    },
    f.bytes,
    onProgress
  );
}
