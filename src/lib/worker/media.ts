/**
 * Secret-chat attachments: each file is encrypted on the device under a fresh random AES-256-GCM
 * key, uploaded to the relay as opaque ciphertext addressed to the one peer device, and its key
 * travels inside the end-to-end message. The receiver downloads, decrypts, keeps the plaintext only
 * sealed in its vault, and deletes the relay's copy.
 */
import { fromB64u, toB64u } from '$lib/api/b64';
import { concat } from '$lib/crypto/bytes';
import { ApiError, BLOB_MAILBOX_HEADER, BLOB_TO_DEVICE_HEADER, BLOB_TOKEN_HEADER, BlobCreated } from '$lib/api/wire';
import { NetError } from './net';

const NONCE = 12;
const ab = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;

export async function encryptFile(plain: Uint8Array): Promise<{ key: string; blob: Uint8Array }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, ab(plain)));
  const blob = concat(nonce, ct);
  const out = { key: toB64u(raw), blob };
  raw.fill(0);
  return out;
}

export async function decryptFile(keyB64: string, blob: Uint8Array): Promise<Uint8Array> {
  const raw = fromB64u(keyB64);
  if (raw.length !== 32 || blob.length < NONCE + 16) throw new NetError('bad_media', 'The attachment is damaged');
  const key = await crypto.subtle.importKey('raw', ab(raw), 'AES-GCM', false, ['decrypt']);
  raw.fill(0);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: ab(blob.subarray(0, NONCE)) }, key, ab(blob.subarray(NONCE))));
  } catch {
    throw new NetError('bad_media', 'The attachment was altered or does not belong to this message');
  }
}

export type Progress = (loaded: number, total: number) => void;

/** Uploads a secret-chat attachment's ciphertext for one device. */
export function uploadBlob(blob: Uint8Array, toDeviceId: string, onProgress: Progress): Promise<string> {
  return uploadBytes('/api/blobs', { [BLOB_TO_DEVICE_HEADER]: toDeviceId }, blob, onProgress);
}

/**
 * Uploads an attachment's ciphertext for a version-2 chat's peer anonymously: the mailbox and its blob
 * token stand for the recipient, and no cookie travels (fetch with credentials 'omit': a same-origin
 * XMLHttpRequest always sends it). fetch has no upload progress, so progress jumps to done.
 */
export async function uploadSealedBlob(blob: Uint8Array, mailbox: string, token: string, onProgress: Progress): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/api/blobs', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/octet-stream', [BLOB_MAILBOX_HEADER]: mailbox, [BLOB_TOKEN_HEADER]: token },
      body: ab(blob)
    });
  } catch {
    throw new NetError('offline', 'The upload failed: no connection to the server');
  }
  const json: unknown = await res.json().catch(() => null);
  if (res.status === 201) {
    const ok = BlobCreated.safeParse(json);
    if (ok.success) {
      onProgress(blob.length, blob.length);
      return ok.data.id;
    }
  }
  const err = ApiError.safeParse(json);
  throw err.success ? new NetError(err.data.error.code, err.data.error.message, res.status) : new NetError('bad_response', `Upload answered ${res.status}`, res.status);
}

/**
 * POSTs raw bytes (application/octet-stream) with upload progress (XMLHttpRequest: fetch has no upload
 * progress) to an endpoint answering `201 {id}`; resolves with the id.
 */
export function uploadBytes(path: string, headers: Record<string, string>, blob: Uint8Array, onProgress: Progress): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : blob.length);
    xhr.onerror = () => reject(new NetError('offline', 'The upload failed: no connection to the server'));
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        /* handled below */
      }
      if (xhr.status === 201) {
        const ok = BlobCreated.safeParse(json);
        if (ok.success) return resolve(ok.data.id);
      }
      const err = ApiError.safeParse(json);
      reject(
        err.success ? new NetError(err.data.error.code, err.data.error.message, xhr.status) : new NetError('bad_response', `Upload answered ${xhr.status}`, xhr.status)
      );
    };
    xhr.send(ab(blob));
  });
}

/** Downloads a secret-chat attachment's ciphertext with progress. */
export function downloadBlob(blobId: string, expected: number, onProgress: Progress): Promise<Uint8Array> {
  return downloadBytes(`/api/blobs/${encodeURIComponent(blobId)}`, expected, onProgress);
}

/** Downloads raw bytes with progress from the response stream. */
export async function downloadBytes(path: string, expected: number, onProgress: Progress): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin' });
  } catch {
    throw new NetError('offline', 'Cannot download the attachment while offline');
  }
  if (res.status === 404) throw new NetError('not_found', 'The attachment is no longer on the server');
  if (!res.ok || !res.body) throw new NetError('bad_response', `Download answered ${res.status}`, res.status);
  const total = Number(res.headers.get('content-length')) || expected;
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
