/**
 * Cloud chats: 1:1 conversations stored on the relay, sealed at rest. This module owns the mapping
 * between stored rows and the wire types (a message's own in ./cloud-wire.ts), always from one reader's
 * point of view (`peerId` is the other member), and publishes every appended update-log row to the bus
 * for live delivery.
 */
import { LIMITS } from '../api/limits';
import type { ReplyQuote } from '../api/quote';
import { quoteSnippet } from '../api/quote-snippet';
import type { ChatSettings, ChatSummary, CloudMessage, CloudReaction, SyncRes, Update } from '../api/wire';
import type { Reaction } from '../api/limits';
import type { AtRest } from './atrest';
import type { BlobFiles } from './blobs';
import type { Bus } from './bus';
import { openMediaMeta } from './cloud-media';
import { createMessageWire, publicUser, reactionAad, type MessageContent } from './cloud-wire';
import { messageFor, pinsWire } from './cloud-pins';
import { refuseBlocked } from './blocks';
import { chatOf } from './chat-of';
import { seenBy } from './photos';
import { scheduledWire } from './scheduled-seal';
import { HttpError } from './http';
import type { AppendedUpdate, ChatRow, ChatSettingsChange, MessageRow, Store, UpdateRow, UserRow } from './store/types';

export { publicUser, type MessageContent };

const otherMember = (chat: ChatRow, userId: string) => (chat.userA === userId ? chat.userB : chat.userA);

/** A message ready to store: its sealed content is made by the caller (a send, a forward). */
export interface DeliverInput {
  id: string;
  toUserId: string;
  content: MessageContent;
  createdAt: number;
  media?: { id: string; ttl: number };
  /** A scheduled message falling due (./cloud-scheduled.ts): its row is deleted with the send. */
  scheduled?: { id: string; version: number };
}

export interface CloudDeps {
  store: Store;
  atRest: AtRest;
  bus: Bus;
  now: () => number;
  /** Files of cloud media (DATA_DIR/media); removed when their message is deleted. */
  mediaFiles?: BlobFiles;
  /** A chat's first message was stored: the two now share a chat (what each may see of the other's last seen changes). */
  onChatStarted?: (a: string, b: string) => void;
}

export interface SendInput {
  id: string;
  toUserId: string;
  text: string;
  replyTo?: string | null;
  /** The sender's quote: validated on the wire but not stored (quoteOf makes the quote from the original). */
  quote?: ReplyQuote;
  media?: { id: string; ttl?: number } | null;
  writtenAt?: number;
  /** A scheduled message falling due (./cloud-scheduled.ts). */
  scheduled?: { id: string; version: number };
}

/** A message written offline keeps its time (see SendCloudReq.writtenAt); a clock far off does not. */
export function messageTime(writtenAt: number | undefined, now: number): number {
  if (writtenAt === undefined || writtenAt > now || now - writtenAt > LIMITS.writtenAtMaxAgeMs) return now;
  return writtenAt;
}

export function createCloud({ store, atRest, bus, now, mediaFiles, onChatStarted }: CloudDeps) {
  const { seal, open, mediaWire, reactionsOf, toWire } = createMessageWire(store, atRest);

  /** Per-call cache so a page of updates looks each peer up once, as `viewerId` may see them (./photos.ts). */
  const userCache = (viewerId: string) => {
    const cache = new Map<string, Promise<UserRow | null>>();
    return (id: string) => {
      let p = cache.get(id);
      if (!p) cache.set(id, (p = store.getUser(id).then((u) => u && seenBy(store, u, viewerId))));
      return p;
    };
  };

  /** Per-call cache of a user's cleared seq by chat (a page of updates reads each chat's once). */
  const clearedCache = (userId: string) => {
    const cache = new Map<number, Promise<number>>();
    return (chatId: number) => {
      let p = cache.get(chatId);
      if (!p) cache.set(chatId, (p = store.getClearedSeq(chatId, userId)));
      return p;
    };
  };

  /** The chat's pins `userId` sees: none of a message they cleared. */
  const pinsFor = async (chatId: number, clearedSeq: number) => {
    const pins = await pinsWire(store, chatId);
    if (clearedSeq === 0) return pins;
    const seqs = await Promise.all(pins.map(async (p) => (await store.getMessage(p.id))?.seq ?? 0));
    return pins.filter((_, i) => seqs[i] > clearedSeq);
  };

  /**
   * The wire form of one update-log row for `userId`; null for a message that has since been deleted,
   * or that `userId` cleared from their history (`clearedOf`: their cleared seq of a chat).
   */
  async function hydrate(
    row: UpdateRow,
    userId: string,
    getUser: (id: string) => Promise<UserRow | null>,
    clearedOf: (chatId: number) => Promise<number>,
    reactions?: Map<string, CloudReaction[]>
  ): Promise<Update | null> {
    const peerId = otherMember(row.chat, userId);
    if (row.message && (row.kind === 'message' || row.kind === 'edit' || row.kind === 'react') && row.message.seq <= (await clearedOf(row.chat.id))) return null;
    switch (row.kind) {
      case 'message': {
        if (!row.message || row.message.deleted) return null;
        const peer = await getUser(peerId);
        if (!peer) return null;
        return { kind: 'message', cursor: row.cursor, message: await toWire(row.message, peerId, reactions, getUser), peer: publicUser(peer) };
      }
      case 'read': {
        const { readerId, seq } = JSON.parse(row.data) as { readerId: string; seq: number };
        return { kind: 'read', cursor: row.cursor, peerId, readerId, seq };
      }
      case 'delete':
        return { kind: 'delete', cursor: row.cursor, peerId, ids: JSON.parse(row.data) as string[] };
      case 'edit': {
        // The text now (a later edit's, if there was one); a message deleted since needs none.
        if (!row.message || row.message.deleted || row.message.editedAt == null) return null;
        return { kind: 'edit', cursor: row.cursor, peerId, id: row.message.id, text: open(row.message).text, editedAt: row.message.editedAt };
      }
      case 'settings': {
        // Rows written before archiving (or the unread mark) have no `archived` (`markedUnread`): false.
        const { pinnedAt, mutedUntil, archived = false, markedUnread = false } = JSON.parse(row.data) as ChatSettings;
        return { kind: 'settings', cursor: row.cursor, peerId, pinnedAt, mutedUntil, archived, markedUnread };
      }
      case 'react': {
        // The reactions now (later ones included); a message deleted since needs none.
        if (!row.message || row.message.deleted) return null;
        const id = row.message.id;
        return { kind: 'react', cursor: row.cursor, peerId, id, reactions: (reactions ?? (await reactionsOf([id]))).get(id) ?? [] };
      }
      case 'pin':
        // The chat's pins now (later changes included): every device replaces what it had.
        return { kind: 'pin', cursor: row.cursor, peerId, pins: await pinsFor(row.chat.id, await clearedOf(row.chat.id)) };
      case 'profile': {
        const peer = await getUser(peerId);
        return peer && { kind: 'profile', cursor: row.cursor, peerId, peer: publicUser(peer) };
      }
      case 'clear': {
        const { upTo, removed } = JSON.parse(row.data) as { upTo: number; removed: boolean };
        return { kind: 'clear', cursor: row.cursor, peerId, upTo, removed };
      }
      case 'scheduled': {
        // My scheduled message as it is now; null once sent or deleted (never another's: the log is mine).
        const s = await store.getScheduled(row.data);
        return { kind: 'scheduled', cursor: row.cursor, peerId, id: row.data, item: s && s.senderId === userId ? scheduledWire(atRest, s, peerId) : null };
      }
    }
  }

  /** Pushes freshly appended update rows to every socket of their users. */
  async function publish(appended: AppendedUpdate[]): Promise<void> {
    const caches = new Map<string, ReturnType<typeof userCache>>();
    for (const { userId, cursor, prev } of appended) {
      const getUser = caches.get(userId) ?? caches.set(userId, userCache(userId)).get(userId)!;
      const row = await store.getUpdate(cursor);
      if (!row) continue;
      // A message published as it is sent is newer than any clear (a clear stops at the chat's newest
      // seq; a later one reaches the devices after this): the send's path reads no cleared seq.
      const clearedOf = row.kind === 'message' ? async () => 0 : (chatId: number) => store.getClearedSeq(chatId, userId);
      const update = await hydrate(row, userId, getUser, clearedOf);
      if (update) bus.publish({ to: 'user', userId, frame: { t: 'update', update, prev } });
    }
  }

  async function requireUser(id: string): Promise<UserRow> {
    const u = await store.getUser(id);
    if (!u) throw new HttpError(404, 'not_found', 'no such user');
    return u;
  }

  /** The chat, 404 when there is none (or only a scheduled message made it: ./chat-of.ts). */
  async function requireChat(userId: string, peerId: string): Promise<ChatRow> {
    const chat = await chatOf(store, userId, peerId);
    if (!chat) throw new HttpError(404, 'not_found', 'no such chat');
    return chat;
  }

  /**
   * The quote a reply by `senderId` to `replyTo` carries, made here from the stored original, never taken
   * from the sender (who could put other words in the quoted author's mouth): its snippet as every reader
   * holding the original would show it, its kind only when its attachment self-destructs (or is gone).
   * None when the original is not a live message of this chat (deleted meanwhile, or never here).
   */
  async function quoteOf(senderId: string, recipientId: string, replyTo: string): Promise<ReplyQuote | undefined> {
    const [chat, original] = await Promise.all([store.getChat(senderId, recipientId), store.getMessage(replyTo)]);
    if (!chat || !original || original.chatId !== chat.id || original.deleted) return undefined;
    const { text, mediaId } = open(original);
    const mediaRow = mediaId ? await store.getCloudMedia(mediaId) : null;
    const attachment = mediaRow ? openMediaMeta(atRest, mediaRow) : null;
    const timed = !!mediaId && (!mediaRow || mediaRow.ttl > 0);
    return { snippet: quoteSnippet({ text }, attachment, timed), from: original.senderId === senderId ? 'sender' : 'recipient' };
  }

  /**
   * Stores a message whose content the relay made (a send, a forward) and delivers it to both users'
   * devices; idempotent by id (`created` false: it was stored before, by the same sender in this chat).
   * 410 when the recipient's account was deleted, 403 `blocked` / `you_blocked` when either blocked the
   * other (./blocks.ts), 404 for media that is not the sender's unattached upload to them, 409 for an id
   * another message holds.
   */
  async function deliver(senderId: string, senderDeviceId: string, input: DeliverInput): Promise<{ message: CloudMessage; created: boolean }> {
    const to = await requireUser(input.toUserId);
    if (to.deletedAt != null) throw new HttpError(410, 'gone', 'this account was deleted');
    const refused = await refuseBlocked(store, senderId, input.toUserId).then(
      () => null,
      (e: unknown) => e
    );
    // A repeat of a message stored before the block (its answer was lost) is answered as before.
    if (refused && (await store.getMessage(input.id))?.senderId !== senderId) throw refused;
    const result = await store.sendMessage({
      id: input.id,
      senderId,
      senderDeviceId,
      recipientId: input.toUserId,
      body: seal(input.id, input.content),
      createdAt: input.createdAt,
      at: now(),
      media: input.media,
      scheduled: input.scheduled
    });
    if (!result.ok && result.reason === 'scheduled_gone') throw new HttpError(409, 'conflict', 'that scheduled message was sent, changed or deleted meanwhile');
    if (!result.ok && result.reason === 'media_unavailable') {
      throw new HttpError(404, 'not_found', 'no such media upload for this chat (or it is attached to another message)');
    }
    if (!result.ok) throw new HttpError(409, 'conflict', 'message id is already used by another message');
    if (result.message.deleted) throw new HttpError(409, 'conflict', 'that message was deleted');
    await publish(result.updates);
    if (result.created && result.message.seq === 1 && senderId !== input.toUserId) onChatStarted?.(senderId, input.toUserId);
    return { message: await toWire(result.message, input.toUserId), created: result.created };
  }

  return {
    async send(senderId: string, senderDeviceId: string, input: SendInput): Promise<CloudMessage> {
      // Saved Messages (a chat with oneself) have no other reader to open a timed file: its timer could never start.
      if (input.toUserId === senderId && (input.media?.ttl ?? 0) > 0) {
        throw new HttpError(400, 'bad_request', 'A file in Saved Messages cannot have a self-destruct timer.');
      }
      const quote = input.replyTo ? await quoteOf(senderId, input.toUserId, input.replyTo) : undefined;
      const { message } = await deliver(senderId, senderDeviceId, {
        id: input.id,
        toUserId: input.toUserId,
        content: {
          text: input.text,
          replyTo: input.replyTo ?? null,
          ...(quote ? { quote } : {}),
          ...(input.media ? { mediaId: input.media.id } : {})
        },
        createdAt: messageTime(input.writtenAt, now()),
        media: input.media ? { id: input.media.id, ttl: input.media.ttl ?? 0 } : undefined,
        scheduled: input.scheduled
      });
      return message;
    },

    deliver,
    /** A stored message's wire form, read by `peerId`'s chat partner. */
    wire: (m: MessageRow, peerId: string) => toWire(m, peerId),
    /** The content of a stored message (opened from its sealed body), for a forward to copy. */
    content: open,

    async history(userId: string, peerId: string, before: number | null, limit: number): Promise<CloudMessage[]> {
      await requireUser(peerId);
      const chat = await store.getChat(userId, peerId);
      if (!chat) return [];
      const out: CloudMessage[] = [];
      // Never what I cleared, however far back the page is.
      const rows = await store.listMessages(chat.id, before, limit, await store.getClearedSeq(chat.id, userId));
      const reactions = await reactionsOf(rows.map((m) => m.id));
      for (const m of rows) out.push(await toWire(m, peerId, reactions));
      return out;
    },

    async chats(userId: string): Promise<ChatSummary[]> {
      const getUser = userCache(userId);
      const out: ChatSummary[] = [];
      const summaries = await store.listChats(userId);
      const reactions = await reactionsOf(summaries.flatMap((s) => (s.lastMessage ? [s.lastMessage.id] : [])));
      for (const s of summaries) {
        const peer = await getUser(s.peerId);
        if (!peer) continue;
        out.push({
          peer: publicUser(peer),
          lastMessage: s.lastMessage ? await toWire(s.lastMessage, s.peerId, reactions) : null,
          myReadSeq: s.myReadSeq,
          peerReadSeq: s.peerReadSeq,
          unread: s.unread,
          pinnedAt: s.pinnedAt,
          mutedUntil: s.mutedUntil,
          archived: s.archived,
          markedUnread: s.markedUnread,
          ...(s.clearedSeq ? { clearedSeq: s.clearedSeq } : {})
        });
      }
      return out;
    },

    async read(userId: string, peerId: string, seq: number): Promise<void> {
      const chat = await requireChat(userId, peerId);
      const r = await store.markRead(chat.id, userId, seq);
      if (r) await publish(r.updates);
    },

    /**
     * Clears `userId`'s history of the chat with `peerId` up to seq `upTo` (none: its newest) on all their devices (a
     * 'clear' update in their log), and with `removeChat` takes it out of their list until a later
     * message. `forBoth` (and always in Saved Messages, which is only mine) also deletes those messages
     * for the peer in one transaction: one 'delete' update per member naming them all, their files
     * removed. Allowed between a blocked pair, as a delete for everyone is: it only takes away.
     */
    async clear(userId: string, peerId: string, { upTo, forBoth, removeChat }: { upTo?: number; forBoth: boolean; removeChat: boolean }): Promise<number> {
      const chat = await requireChat(userId, peerId);
      // No `upTo`: the chat's newest seq, read in the clear's transaction (what my device has not synced yet too).
      let through = upTo ?? Number.MAX_SAFE_INTEGER;
      if (forBoth || peerId === userId) {
        const r = await store.clearMessages(chat.id, through);
        await publish(r.updates);
        for (const id of r.media ?? []) await mediaFiles?.remove(id);
        // Hidden for me exactly what went for both, not a message that came in between.
        through = r.upTo;
      }
      const mine = await store.clearForMe(chat.id, userId, through, removeChat);
      await publish(mine.updates);
      return mine.clearedSeq;
    },

    /** Whether `userId` cleared message `m` (of their chat) from their history: it is no longer served to them. */
    async clearedFor(userId: string, m: MessageRow): Promise<boolean> {
      return m.seq <= (await store.getClearedSeq(m.chatId, userId));
    },

    async remove(userId: string, peerId: string, ids: string[]): Promise<void> {
      const chat = await requireChat(userId, peerId);
      const r = await store.deleteMessages(chat.id, ids);
      await publish(r.updates);
      for (const id of r.media ?? []) await mediaFiles?.remove(id);
    },

    /**
     * The author edits their message `id` (in the chat with `peerId`): only within LIMITS.editWindowMs
     * of its time, not once deleted; one with an attachment only when that has no timer (its caption
     * is edited, and may become empty; a text may not). The new text is sealed like a sent one, the
     * rest of the body (reply, quote, attachment) kept; every device of both users gets an 'edit' update.
     */
    async edit(userId: string, peerId: string, id: string, text: string): Promise<void> {
      const chat = await requireChat(userId, peerId);
      await refuseBlocked(store, userId, peerId);
      const m = await messageFor(store, userId, chat.id, id);
      if (m.deleted) throw new HttpError(410, 'gone', 'that message was deleted');
      if (m.senderId !== userId) throw new HttpError(403, 'not_author', 'only its author can edit a message');
      const at = now();
      if (at - m.createdAt > LIMITS.editWindowMs) throw new HttpError(403, 'edit_expired', 'a message can be edited for 48 hours after it was sent');
      const content = open(m);
      // A forwarded copy says what its author wrote: the forwarder cannot change those words.
      if (content.forwardedFrom) throw new HttpError(403, 'not_editable', 'a forwarded message cannot be edited');
      if (content.mediaId) {
        // A timed attachment's message burns with it: no caption to change (nor one gone already).
        const media = await store.getCloudMedia(content.mediaId);
        if (!media || media.ttl > 0) throw new HttpError(403, 'not_editable', 'a message with a self-destructing attachment cannot be edited');
      } else if (!text.trim()) throw new HttpError(400, 'bad_request', 'message is empty');
      if (content.text === text) return;
      // Later than the edit it replaces, whatever the clock did meanwhile: the newest edit wins on every device.
      const editedAt = Math.max(at, (m.editedAt ?? 0) + 1);
      const r = await store.editMessage(chat.id, id, seal(id, { ...content, text }), editedAt);
      if (!r) throw new HttpError(410, 'gone', 'that message was deleted');
      await publish(r.updates);
    },

    /**
     * Sets `userId`'s reaction to message `id` (in the chat with `peerId`; either member, whoever wrote
     * it), replacing theirs, or removes it (`emoji` '' or null); not once deleted. Every device of both
     * users gets a 'react' update with the message's reactions.
     */
    async react(userId: string, peerId: string, id: string, emoji: Reaction | '' | null): Promise<void> {
      const chat = await requireChat(userId, peerId);
      await refuseBlocked(store, userId, peerId);
      const m = await messageFor(store, userId, chat.id, id);
      if (m.deleted) throw new HttpError(410, 'gone', 'that message was deleted');
      const sealed = emoji ? atRest.seal(Buffer.from(emoji, 'utf8'), reactionAad(id, userId)) : null;
      const r = await store.reactMessage(chat.id, id, userId, sealed, now());
      if (!r) throw new HttpError(410, 'gone', 'that message was deleted');
      await publish(r.updates);
    },

    /**
     * Changes `userId`'s own settings of the chat with `peerId` (pin, mute, archive, unread mark): a 'settings' update
     * goes to that user's devices only, never to the peer. 409 too_many_pinned past LIMITS.pinnedMax
     * pinned chats. (A message from the peer unarchives a chat not muted: the store does it with the send.)
     */
    async settings(userId: string, peerId: string, change: ChatSettingsChange): Promise<ChatSettings> {
      // Saved Messages are never unread (clearing a mark there is harmless).
      if (change.markedUnread && peerId === userId) throw new HttpError(400, 'bad_request', 'Saved Messages cannot be marked as unread');
      const chat = await requireChat(userId, peerId);
      const r = await store.setChatSettings(chat.id, userId, change, now(), LIMITS.pinnedMax);
      if (r === 'too_many_pinned') throw new HttpError(409, 'too_many_pinned', `Unpin a chat first: up to ${LIMITS.pinnedMax}`);
      await publish(r.updates);
      return r.settings;
    },

    /** Whether `userId` has muted their chat with `peerId` at this moment (push.ts: no push for its messages). */
    async mutedNow(userId: string, peerId: string): Promise<boolean> {
      const chat = await store.getChat(userId, peerId);
      if (!chat) return false;
      const { mutedUntil } = await store.getChatSettings(chat.id, userId);
      return (mutedUntil ?? 0) > now();
    },

    /** Live delivery of update rows appended elsewhere (cloud media opened or expired). */
    publish,
    mediaWire,

    async sync(userId: string, after: number, limit: number): Promise<SyncRes> {
      // One extra row tells whether there is more without a second query.
      const rows = await store.listUpdates(userId, after, limit + 1);
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const getUser = userCache(userId);
      const clearedOf = clearedCache(userId);
      const updates: Update[] = [];
      // The page's reactions in one read (its messages' and its 'react' updates').
      const reactions = await reactionsOf(page.flatMap((r) => (r.message && (r.kind === 'message' || r.kind === 'react') ? [r.message.id] : [])));
      for (const row of page) {
        const u = await hydrate(row, userId, getUser, clearedOf, reactions);
        if (u) updates.push(u);
      }
      return { updates, cursor: page.length ? page[page.length - 1].cursor : after, more };
    }
  };
}

export type Cloud = ReturnType<typeof createCloud>;
