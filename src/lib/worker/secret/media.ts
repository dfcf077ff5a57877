/**
 * Attachments in a secret chat: encrypted under a fresh key, uploaded as ciphertext for the peer's
 * device only, announced with the key inside the channel; received ones are downloaded, decrypted
 * and kept sealed on the device.
 */
import type { VoiceMeta } from '$lib/api/voice';
import { toPlainLine } from '$lib/api/wire-base';
import type { SecretMediaRow } from '$lib/store/db';
import { deleteSentDraft } from '../draft-order';
import { secretDraftId } from '../drafts';
import { decryptFile, encryptFile } from '../media';
import { MEDIA_PAD, padMedia, unpadMedia } from '../media-padding';
import type { Chats } from './chats';
import { SecretError } from './errors';
import type { Outbound } from './outbound';
import type { FileRef, SecretBody } from './payload';
import { readSession } from './ratchet';
import { blobAuth, sendKeys, wipeKeys } from './sealed';
import { mediaPlace, secretMsgPlace } from './state';
import { openState, wipeState } from './stored';
import { failUpload, oneUploadAtATime, uploadMarker, whileUploading } from '../secret-uploads';

/** What the sender chose for one file: its own timer (else the chat's), and a photo's or video's size in pixels. */
export interface SendFileOptions {
  ttl?: number;
  width?: number;
  height?: number;
  /** A voice message's duration and waveform. */
  voice?: VoiceMeta;
  /** Sent with a caption typed in the composer: the send's ticket (../draft-order.ts); the chat's draft goes when the file is stored. */
  draftTicket?: number;
}

export class Media {
  constructor(
    private readonly chats: Chats,
    private readonly out: Outbound
  ) {}

  /**
   * Sends a file: shown at once (with upload progress), encrypted under a fresh key, uploaded as
   * ciphertext for the peer's device only, then announced with its key inside the channel.
   */
  async sendFile(chatId: string, fileName: string, mime: string, bytes: Uint8Array, caption: string, opts: SendFileOptions = {}): Promise<string> {
    const { ctx, relay } = this.chats;
    const name = toPlainLine(fileName); // as the peer will show it (payload.ts)
    const row = await ctx.db.secretChats.get(chatId);
    if (!row || row.status !== 'active' || !row.peerDeviceId) throw new SecretError('not_active', 'The secret chat is not established');
    const to = row.peerDeviceId;
    const id = crypto.randomUUID();
    const at = Date.now();
    const { vault, db } = ctx;
    // Both sides of a size or neither: a peer reserves a box only for a whole one.
    const extra = { ...(opts.width && opts.height ? { w: opts.width, h: opts.height } : {}), ...(opts.voice ? { voice: opts.voice } : {}) };
    const local = { blobId: '', key: '', name, mime, size: bytes.length, ...extra };
    const { state } = await openState(vault, chatId, row.box);
    // Only its timer is used here, and in a version-2 chat the peer's mailbox for an anonymous upload.
    let auth: { mailbox: string; token: string } | null = null;
    try {
      if (state.session)
        auth = readSession(state.session, (session) => {
          const keys = sendKeys(session);
          try {
            return keys && blobAuth(keys);
          } finally {
            wipeKeys(keys);
          }
        });
    } finally {
      wipeState(state);
    }
    // A timer picked for this file (the photo preview) wins over the chat's.
    const ttlOf = (chatTtl: number) => opts.ttl ?? chatTtl;
    const pending = this.chats.messageRow(chatId, id, at, true, { kind: 'text', text: caption, replyTo: null, ttl: ttlOf(state.ttl), file: local }, 'pending');
    const media: SecretMediaRow = { messageId: id, chatId, box: await vault.sealBytes(mediaPlace(id), bytes) };
    await pending.sealing; // written here, not through commit()
    return whileUploading(id, async () => {
      const ticket = opts.draftTicket;
      await db.transaction('rw', [db.secretMessages, db.secretMedia, db.meta, ...(ticket === undefined ? [] : [db.drafts])], async () => {
        await db.secretMessages.put(pending.row);
        await db.secretMedia.put(media);
        await db.meta.put(uploadMarker(id));
        // The caption is no draft any more (a failed upload keeps it in the message, shown "Not sent").
        if (ticket !== undefined) await deleteSentDraft(db, secretDraftId(chatId), ticket);
      });
      this.chats.changed(chatId, [id]);
      let blobId: string | null = null;
      try {
        // Padded to a size bucket, so the relay does not learn the file's exact size.
        const { key, blob } = await encryptFile(padMedia(bytes));
        const progress = (loaded: number, total: number) => ctx.emit({ type: 'progress', id, loaded, total });
        blobId = await oneUploadAtATime(() => (auth ? relay.uploadSealedBlob(blob, auth.mailbox, auth.token, progress) : relay.uploadBlob(blob, to, progress)));
        const file: FileRef = { blobId, key, name, mime, size: bytes.length, ...extra, pad: MEDIA_PAD };
        await this.out.send(
          chatId,
          (st) => ({ k: 'text', id, text: caption, replyTo: null, ttl: ttlOf(st.ttl), at, file }),
          async (_r, st) => {
            // Deleted while it uploaded (under the chat's lock, as this is): not brought back, not sent.
            if (!(await db.secretMessages.get(id))) throw new SecretError('deleted', 'The file was deleted before it was sent');
            return { put: [this.chats.messageRow(chatId, id, at, true, { kind: 'text', text: caption, replyTo: null, ttl: ttlOf(st.ttl), file }, 'pending')] };
          }
        );
      } catch (e) {
        // Whatever failed (the upload, the chat ended, the vault locked): "Not sent", never "sending" for good;
        // and the relay's copy, which no one will fetch, goes.
        const { failed, queued } = await failUpload(db, id).catch(() => ({ failed: undefined, queued: true }));
        if (failed) this.chats.changed(chatId, [id]);
        if (blobId && !queued) void relay.deleteBlob(blobId).catch(() => undefined);
        if (e instanceof SecretError && e.code === 'deleted') return id; // what the user asked for
        throw e;
      }
      // Best effort: a marker left behind is dropped at the next start (the row is queued by now).
      await db.meta.delete(uploadMarker(id).key).catch(() => undefined);
      return id;
    });
  }

  /** An attachment's plaintext: from the vault, or downloaded, decrypted and kept (sealed) once. */
  async media(messageId: string): Promise<{ bytes: Uint8Array; mime: string; name: string }> {
    const { ctx, relay } = this.chats;
    const { db, vault } = ctx;
    const msg = await db.secretMessages.get(messageId);
    if (!msg) throw new SecretError('not_found', 'This message is gone');
    const body = await vault.open<SecretBody>(secretMsgPlace(messageId), msg.box);
    if (!body.file) throw new SecretError('not_found', 'This message has no attachment');
    const stored = await db.secretMedia.get(messageId);
    if (stored) return { bytes: await vault.openBytes(mediaPlace(messageId), stored.box), mime: body.file.mime, name: body.file.name };
    const blob = await relay.downloadBlob(body.file.blobId, body.file.size, (loaded, total) => ctx.emit({ type: 'progress', id: messageId, loaded, total }));
    const bytes = unpadMedia(await decryptFile(body.file.key, blob), body.file.size, body.file.pad);
    const box = await vault.sealBytes(mediaPlace(messageId), bytes);
    // The message may have been deleted or expired during the download: keep nothing then.
    await db.transaction('rw', db.secretMessages, db.secretMedia, async () => {
      if (await db.secretMessages.get(messageId)) await db.secretMedia.put({ messageId, chatId: msg.chatId, box });
    });
    // This device holds it now; the relay's copy has served its purpose.
    void relay.deleteBlob(body.file.blobId).catch(() => undefined);
    return { bytes, mime: body.file.mime, name: body.file.name };
  }
}
