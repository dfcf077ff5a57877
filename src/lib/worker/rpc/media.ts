/** Attachments: files in secret and cloud chats (sending, fetching, opening). */
import { z } from '$lib/api/zod';
import { CloudMedia, CloudMessage } from '$lib/api/wire';
import type { MessageRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import { messageView, msgPlace, sealMessage, storeOpenedMedia, type Body } from '../cloud';
import { sendTicket, sentDraftDeleted } from '../draft-order';
import { draftEvent, secretDraftId } from '../drafts';
import { downloadBytes } from '../media';
import { uploadCloudFile } from '../cloud-upload';
import { request } from '../net';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'secret' | 'armPurge'>;

/** The bytes of a view as an ArrayBuffer of their own (what crosses postMessage). */
const ownBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** A stored cloud message and its sealed body, or not_found. */
async function cloudMessage(ctx: Pick<Ctx, 'db' | 'vault'>, messageId: string): Promise<{ row: MessageRow; body: Body }> {
  const row = await ctx.db.messages.get(messageId);
  if (!row) throw new CoreError('not_found', 'This message is gone');
  return { row, body: await ctx.vault.open<Body>(msgPlace(messageId), row.box) };
}

export const mediaHandlers: Handlers<'secretSendFile' | 'secretMedia' | 'cloudSendMedia' | 'cloudMedia' | 'cloudMediaOpened', Ctx> = {
  secretSendFile: async (ctx, { id, name, mime, bytes, caption, ttl, width, height, voice }) => {
    // A caption is what was typed: taken as the call arrives, to order it against draft saves (../draft-order.ts).
    const draftTicket = caption?.trim() ? sendTicket(secretDraftId(id)) : undefined;
    try {
      const engine = await ctx.secret();
      return {
        id: await engine.sendFile(id, name, mime || 'application/octet-stream', new Uint8Array(bytes), caption?.trim() ?? '', { ttl, width, height, voice, draftTicket })
      };
    } finally {
      if (sentDraftDeleted(draftTicket)) for (const e of draftEvent(secretDraftId(id))) ctx.emit(e);
    }
  },

  secretMedia: async (ctx, { messageId }) => {
    const m = await (await ctx.secret()).media(messageId);
    return { bytes: ownBuffer(m.bytes), mime: m.mime, name: m.name };
  },

  cloudSendMedia: async (ctx, { peerId, name, mime, bytes, ttl, voice, width, height, caption }) => {
    const id = crypto.randomUUID();
    const plain = new Uint8Array(bytes);
    const mediaId = await uploadCloudFile(peerId, { name, mime, bytes: plain, voice, width, height }, (loaded, total) =>
      ctx.emit({ type: 'progress', id, loaded, total })
    );
    const { message } = await request(
      'POST',
      '/api/cloud/messages',
      { id, toUserId: peerId, text: caption?.trim() ?? '', media: { id: mediaId, ttl } },
      z.object({ message: CloudMessage })
    );
    const row = await sealMessage(ctx.vault, message);
    // The sender keeps the plaintext (sealed) so it never downloads its own upload.
    const box = await ctx.vault.sealBytes(places.cloudMedia(id), plain);
    await ctx.db.transaction('rw', [ctx.db.messages, ctx.db.chats, ctx.db.cloudMedia], async () => {
      await ctx.db.messages.put(row);
      await ctx.db.cloudMedia.put({ messageId: id, peerId, box });
      await ctx.db.chats.update(peerId, { lastAt: message.createdAt });
    });
    ctx.emit({ type: 'messages', peerId });
    ctx.emit({ type: 'chats' });
    return messageView(ctx.vault, row, ctx.me, (await ctx.db.chats.get(peerId))?.peerReadSeq ?? 0);
  },

  cloudMedia: async (ctx, { messageId }) => {
    const { row, body } = await cloudMessage(ctx, messageId);
    if (!body.media) throw new CoreError('not_found', 'This message has no attachment');
    const place = places.cloudMedia(messageId);
    const cached = await ctx.db.cloudMedia.get(messageId);
    let plain: Uint8Array;
    if (cached) plain = await ctx.vault.openBytes(place, cached.box);
    else {
      plain = await downloadBytes(`/api/cloud/media/${encodeURIComponent(body.media.id)}`, body.media.size, (loaded, total) =>
        ctx.emit({ type: 'progress', id: messageId, loaded, total })
      );
      const box = await ctx.vault.sealBytes(place, plain);
      // Cached only while the message exists: it may have been deleted during the download.
      await ctx.db.transaction('rw', ctx.db.messages, ctx.db.cloudMedia, async () => {
        if (await ctx.db.messages.get(messageId)) await ctx.db.cloudMedia.put({ messageId, peerId: row.peerId, box });
      });
    }
    return { bytes: ownBuffer(plain), mime: body.media.mime, name: body.media.name };
  },

  cloudMediaOpened: async (ctx, { messageId }) => {
    const { row, body } = await cloudMessage(ctx, messageId);
    if (!body.media) throw new CoreError('not_found', 'This message has no attachment');
    const res = await request('POST', `/api/cloud/media/${encodeURIComponent(body.media.id)}/opened`, {}, z.object({ media: z.nullable(CloudMedia) }));
    const media = res.media;
    if (media) {
      // The relay's 'message' update brings the same; applying it now shows the countdown at once.
      const box = await ctx.vault.seal<Body>(msgPlace(messageId), { ...body, media });
      await storeOpenedMedia(ctx.db, messageId, box, media.deadline);
      ctx.emit({ type: 'messages', peerId: row.peerId });
      void ctx.armPurge();
    }
    return { deadline: media?.deadline ?? null };
  }
};
