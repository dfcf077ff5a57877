/**
 * Forwarding cloud messages (`POST /api/cloud/forward`, docs/api.md): the relay copies the originals
 * from the forwarder's own chat, so what a copy says and whom it names as its origin are the relay's
 * word, never the client's (a client cannot forge a "Forwarded from"). Each copy is a new message of the
 * target chat, sent by the forwarder: the text, the attachment (a new sealed file for the new recipient,
 * counted against the forwarder's quota), no reply, quote or reactions, and `forwardedFrom` naming the
 * original author and time (a copy of a copy keeps the first origin).
 *
 * Idempotent by the client's new ids, like a send: a request repeated after a lost answer, or after a
 * failure part way (the copies are stored one by one, in order), stores only the copies still missing.
 * Secret chats never come here: their messages are not on the relay.
 */
import { Readable } from 'node:stream';
import type { CloudMessage } from '../api/wire';
import type { AtRest } from './atrest';
import type { BlobFiles } from './blobs';
import { messageTime, type Cloud, type MessageContent } from './cloud';
import { openMediaMeta, sealMediaMeta } from './cloud-media';
import { refuseBlocked } from './blocks';
import { chatOf } from './chat-of';
import { HttpError } from './http';
import { newId } from './ids';
import { createChunkSealer, openChunks } from './media-chunks';
import type { CloudMediaRow, Store } from './store/types';

export interface ForwardDeps {
  store: Store;
  atRest: AtRest;
  cloud: Cloud;
  mediaFiles: BlobFiles;
  now: () => number;
  /** Each user's cloud-media quota (bytes): copied attachments count against the forwarder's. */
  quotaBytes: number;
  /** The largest file, for reading a legacy (unchunked) one (media-chunks.ts). */
  maxBlobBytes: number;
}

export interface ForwardInput {
  toUserId: string;
  fromPeerId: string;
  ids: string[];
  newIds: string[];
  /** When the forward was made (it waited in the client's outbox): the copies' time, as `messageTime` allows. */
  writtenAt?: number;
}

/** One copy to make: the original's content and origin, or null when `newId` was stored before (a repeat). */
interface Planned {
  newId: string;
  copy: { content: MessageContent; origin: { userId: string; createdAt: number }; media: CloudMediaRow | null } | null;
}

export function createForward({ store, atRest, cloud, mediaFiles, now, quotaBytes, maxBlobBytes }: ForwardDeps) {
  /**
   * Checks every pair before anything is copied, so a refused request changes nothing: each original a
   * live message of my chat with `fromPeerId`, its attachment still there and without a timer; each new
   * id free, or already my copy in the target chat (a repeat).
   */
  async function plan(me: string, input: ForwardInput): Promise<Planned[]> {
    const to = await store.getUser(input.toUserId);
    if (!to) throw new HttpError(404, 'not_found', 'no such user');
    if (to.deletedAt != null) throw new HttpError(410, 'gone', 'this account was deleted');
    // Into a chat with someone who blocked me, or whom I blocked: refused before anything is copied.
    await refuseBlocked(store, me, input.toUserId);
    const from = await chatOf(store, me, input.fromPeerId);
    if (!from) throw new HttpError(404, 'not_found', 'no such chat');
    const target = await store.getChat(me, input.toUserId);
    const out: Planned[] = [];
    for (const [i, id] of input.ids.entries()) {
      const newId = input.newIds[i];
      const stored = await store.getMessage(newId);
      if (stored) {
        if (stored.senderId !== me || stored.chatId !== target?.id) throw new HttpError(409, 'conflict', `message id ${newId} is already used by another message`);
        out.push({ newId, copy: null });
        continue;
      }
      const original = await store.getMessage(id);
      if (!original || original.chatId !== from.id || (await cloud.clearedFor(me, original)))
        throw new HttpError(404, 'not_found', `no such message in this chat: ${id}`);
      if (original.deleted) throw new HttpError(410, 'gone', `message ${id} was deleted`);
      const content = cloud.content(original);
      const media = content.mediaId ? await store.getCloudMedia(content.mediaId) : null;
      if (content.mediaId && !media) throw new HttpError(410, 'gone', `the attachment of message ${id} is gone`);
      if (media && media.ttl > 0) throw new HttpError(403, 'not_forwardable', 'a message with a self-destructing attachment cannot be forwarded');
      out.push({ newId, copy: { content, origin: content.forwardedFrom ?? { userId: original.senderId, createdAt: original.createdAt }, media } });
    }
    return out;
  }

  /** A new sealed copy of attachment `from` for `toUserId`, owned by the forwarder: its id. */
  async function copyMedia(from: CloudMediaRow, me: string, deviceId: string, toUserId: string): Promise<string> {
    const id = newId();
    const meta = sealMediaMeta(atRest, id, openMediaMeta(atRest, from));
    const row = { id, ownerUserId: me, ownerDeviceId: deviceId, toUserId, meta, size: from.size, createdAt: now() };
    if (!(await store.reserveCloudMedia(row, quotaBytes))) {
      throw new HttpError(413, 'quota_exceeded', 'Your storage for photos and files on the server is full. Delete some you sent, and try again.');
    }
    try {
      const handle = await mediaFiles.open(from.id);
      if (!handle) throw new HttpError(410, 'gone', 'the attachment is gone');
      try {
        // Opened chunk by chunk and sealed again for the new id (the AAD names it): never whole in memory.
        await mediaFiles.writeFrom(id, Readable.from(openChunks(atRest, from.id, handle, maxBlobBytes)).pipe(createChunkSealer(atRest, id)));
      } finally {
        await handle.close().catch(() => undefined);
      }
      return id;
    } catch (e) {
      await dropMedia(id);
      throw e;
    }
  }

  const dropMedia = async (id: string) => {
    await mediaFiles.remove(id);
    await store.deleteCloudMedia(id);
  };

  return {
    /** The copies, in the order of `ids` (repeats answered with the copy stored before). */
    async forward(me: string, deviceId: string, input: ForwardInput): Promise<CloudMessage[]> {
      const planned = await plan(me, input);
      // A forward made offline keeps its time, for everyone, like a message written offline.
      const createdAt = messageTime(input.writtenAt, now());
      const out: CloudMessage[] = [];
      for (const { newId, copy } of planned) {
        if (!copy) {
          const stored = await store.getMessage(newId);
          if (!stored || stored.deleted) throw new HttpError(410, 'gone', `message ${newId} was deleted`);
          out.push(await cloud.wire(stored, input.toUserId));
          continue;
        }
        const mediaId = copy.media ? await copyMedia(copy.media, me, deviceId, input.toUserId) : null;
        try {
          const { message, created } = await cloud.deliver(me, deviceId, {
            id: newId,
            toUserId: input.toUserId,
            content: { text: copy.content.text, replyTo: null, ...(mediaId ? { mediaId } : {}), forwardedFrom: copy.origin },
            createdAt,
            ...(mediaId ? { media: { id: mediaId, ttl: 0 } } : {})
          });
          // A concurrent repeat stored this copy first: ours was not attached.
          if (!created && mediaId) await dropMedia(mediaId);
          out.push(message);
        } catch (e) {
          if (mediaId) await dropMedia(mediaId);
          throw e;
        }
      }
      return out;
    }
  };
}

export type Forward = ReturnType<typeof createForward>;
