/** SQLite: cloud chats, messages, read marks and the update log. */
import { LIMITS } from '../../../api/limits';
import { changeSettings, pair, pinEnters, sameSettings, toChat, toMessage, toReaction, toSettings, toUpdate, unarchivedBy, withPinRoom } from '../rows';
import type { ChatSettingsChange, ChatSettingsRow, ChatSummaryRow, CloudStore, MessageRow, SendMessageInput, SendMessageResult } from '../types';
import { all, get, UPDATE_SELECT, type AppendUpdates, type Db } from './db';

export function sqliteCloud(db: Db, appendUpdates: AppendUpdates): CloudStore {
  const q = {
    chatByPair: db.prepare('SELECT * FROM cloud_chats WHERE user_a = ? AND user_b = ?'),
    chatById: db.prepare('SELECT * FROM cloud_chats WHERE id = ?'),
    // Not a chat no message was ever sent in (made by scheduling one: the peer must not learn of it).
    chatsOf: db.prepare('SELECT * FROM cloud_chats WHERE (user_a = ? OR user_b = ?) AND next_seq > 1'),
    insertChat: db.prepare('INSERT INTO cloud_chats (user_a, user_b) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    bumpSeq: db.prepare('UPDATE cloud_chats SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq - 1 AS seq'),
    messageById: db.prepare('SELECT * FROM cloud_messages WHERE id = ?'),
    insertMessage: db.prepare(
      `INSERT INTO cloud_messages (chat_id, seq, id, sender_id, sender_device_id, body, created_at)
       VALUES (@chatId, @seq, @id, @senderId, @senderDeviceId, @body, @createdAt)`
    ),
    messagesBefore: db.prepare('SELECT * FROM cloud_messages WHERE chat_id = ? AND seq < ? AND seq > ? AND deleted = 0 ORDER BY seq DESC LIMIT ?'),
    lastMessage: db.prepare('SELECT * FROM cloud_messages WHERE chat_id = ? AND seq > ? AND deleted = 0 ORDER BY seq DESC LIMIT 1'),
    unread: db.prepare('SELECT count(*) AS n FROM cloud_messages WHERE chat_id = ? AND seq > ? AND sender_id <> ? AND deleted = 0'),
    clearedOf: db.prepare('SELECT cleared_seq, removed FROM cloud_chat_settings WHERE user_id = ? AND chat_id = ?'),
    upsertCleared: db.prepare(
      `INSERT INTO cloud_chat_settings (user_id, chat_id, cleared_seq, removed) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, chat_id) DO UPDATE SET cleared_seq = excluded.cleared_seq, removed = excluded.removed`
    ),
    readSeq: db.prepare('SELECT read_seq FROM chat_reads WHERE chat_id = ? AND user_id = ?'),
    upsertRead: db.prepare(
      `INSERT INTO chat_reads (chat_id, user_id, read_seq) VALUES (?, ?, ?)
       ON CONFLICT (chat_id, user_id) DO UPDATE SET read_seq = excluded.read_seq`
    ),
    liveMessageInChat: db.prepare('SELECT id FROM cloud_messages WHERE chat_id = ? AND id = ? AND deleted = 0'),
    editMessage: db.prepare('UPDATE cloud_messages SET body = ?, edited_at = ? WHERE chat_id = ? AND id = ? AND deleted = 0'),
    upsertReaction: db.prepare(
      `INSERT INTO cloud_reactions (message_id, user_id, emoji, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, at = excluded.at`
    ),
    // The ids as one JSON array: one statement for any number of them.
    reactionsOf: db.prepare('SELECT * FROM cloud_reactions WHERE message_id IN (SELECT value FROM json_each(?))'),
    settingsOf: db.prepare('SELECT pinned_at, muted_until, archived, marked_unread FROM cloud_chat_settings WHERE user_id = ? AND chat_id = ?'),
    // The user's other pinned chats in one list (the main one or the archive): each has its own room.
    pinnedCount: db.prepare('SELECT count(*) AS n FROM cloud_chat_settings WHERE user_id = ? AND pinned_at IS NOT NULL AND archived = ? AND chat_id != ?'),
    upsertSettings: db.prepare(
      `INSERT INTO cloud_chat_settings (user_id, chat_id, pinned_at, muted_until, archived, marked_unread) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, chat_id) DO UPDATE SET pinned_at = excluded.pinned_at, muted_until = excluded.muted_until, archived = excluded.archived,
         marked_unread = excluded.marked_unread`
    ),
    dropReaction: db.prepare('DELETE FROM cloud_reactions WHERE message_id = ? AND user_id = ?'),
    deleteMessage: db.prepare("UPDATE cloud_messages SET deleted = 1, body = X'' WHERE chat_id = ? AND id = ?"),
    // A cleared history: every live message up to a seq, in one statement (ordered, for the update's ids).
    clearMessages: db.prepare("UPDATE cloud_messages SET deleted = 1, body = X'' WHERE chat_id = ? AND seq <= ? AND deleted = 0 RETURNING id, seq"),
    dropMediaOf: db.prepare('DELETE FROM cloud_media WHERE message_id IN (SELECT value FROM json_each(?)) RETURNING id'),
    updatesAfter: db.prepare(`${UPDATE_SELECT} WHERE u.user_id = ? AND u.cursor > ? ORDER BY u.cursor LIMIT ?`),
    updateByCursor: db.prepare(`${UPDATE_SELECT} WHERE u.cursor = ?`),
    latestCursor: db.prepare('SELECT max(cursor) AS c FROM user_updates WHERE user_id = ?'),
    // The media a message carries (../cloud-media.ts), attached and dropped with it.
    mediaById: db.prepare('SELECT * FROM cloud_media WHERE id = ?'),
    attachMedia: db.prepare('UPDATE cloud_media SET message_id = ?, ttl = ?, scheduled_id = NULL WHERE id = ? AND message_id IS NULL'),
    dropMessageMedia: db.prepare('DELETE FROM cloud_media WHERE message_id = ? RETURNING id'),
    takeScheduled: db.prepare('DELETE FROM scheduled_messages WHERE id = ? AND sender_id = ? AND version = ?')
  };

  const pinnedIn = (userId: string, s: ChatSettingsRow, chatId: number) => get(q.pinnedCount, userId, s.archived ? 1 : 0, chatId)!.n as number;
  /** unarchivedBy, and a pinned chat comes back unpinned to a main list with no room for its pin. */
  const unarchivedWithRoom = (userId: string, chatId: number, at: number) => {
    const old = toSettings(get(q.settingsOf, userId, chatId));
    const back = unarchivedBy(old, at);
    return back && pinEnters(old, back) ? (withPinRoom(old, back, pinnedIn(userId, back, chatId), LIMITS.pinnedMax) as ChatSettingsRow) : back;
  };
  const upsert = (userId: string, chatId: number, s: ChatSettingsRow) =>
    q.upsertSettings.run(userId, chatId, s.pinnedAt, s.mutedUntil, s.archived ? 1 : 0, s.markedUnread ? 1 : 0);

  const sendMessageTx = db.transaction((input: SendMessageInput): SendMessageResult => {
    const [a, b] = pair(input.senderId, input.recipientId);
    const existing = get(q.messageById, input.id);
    if (existing) {
      const message = toMessage(existing);
      const chat = toChat(get(q.chatById, message.chatId)!);
      if (message.senderId !== input.senderId || chat.userA !== a || chat.userB !== b) {
        return { ok: false, reason: 'id_conflict' };
      }
      return { ok: true, created: false, chat, message, updates: [] };
    }
    if (input.media) {
      const media = get(q.mediaById, input.media.id);
      // An upload held by a scheduled message goes only with that message (its id).
      const held = media?.scheduled_id != null && media.scheduled_id !== input.id;
      if (!media || media.owner_user_id !== input.senderId || media.to_user_id !== input.recipientId || media.message_id !== null || held) {
        return { ok: false, reason: 'media_unavailable' };
      }
    }
    q.insertChat.run(a, b);
    const chatId = get(q.chatByPair, a, b)!.id as number;
    const seq = get(q.bumpSeq, chatId)!.seq as number;
    const message: MessageRow = {
      chatId,
      seq,
      id: input.id,
      senderId: input.senderId,
      senderDeviceId: input.senderDeviceId,
      body: input.body,
      createdAt: input.createdAt,
      deleted: false,
      editedAt: null
    };
    q.insertMessage.run({
      chatId,
      seq,
      id: message.id,
      senderId: message.senderId,
      senderDeviceId: message.senderDeviceId,
      body: message.body,
      createdAt: message.createdAt
    });
    if (input.media) q.attachMedia.run(message.id, input.media.ttl, input.media.id);
    const chat = toChat(get(q.chatById, chatId)!);
    const updates = appendUpdates(chat, 'message', message.id);
    // The recipient's archived chat comes back to their list unless muted (after the message in their log).
    const back = input.recipientId === input.senderId ? null : unarchivedWithRoom(input.recipientId, chatId, input.at ?? input.createdAt);
    if (back) {
      upsert(input.recipientId, chatId, back);
      updates.push(...appendUpdates(chat, 'settings', JSON.stringify(back), input.recipientId));
    }
    return { ok: true, created: true, chat, message, updates };
  });

  /** Thrown to roll a scheduled send back (its row was deleted first): the result it answers. */
  class Undo {
    constructor(readonly result: SendMessageResult) {}
  }
  // A scheduled message falling due: its row goes in the same transaction as the send (or nothing does).
  const sendScheduledTx = db.transaction((input: SendMessageInput, scheduled: { id: string; version: number }): SendMessageResult => {
    if (q.takeScheduled.run(scheduled.id, input.senderId, scheduled.version).changes === 0) return { ok: false, reason: 'scheduled_gone' };
    const r = sendMessageTx(input);
    if (!r.ok) throw new Undo(r);
    r.updates.push(...appendUpdates(r.chat, 'scheduled', scheduled.id, input.senderId));
    return r;
  });

  const markReadTx = db.transaction((chatId: number, readerId: string, seq: number) => {
    const chat = toChat(get(q.chatById, chatId)!);
    const capped = Math.min(seq, chat.nextSeq - 1);
    const current = (get(q.readSeq, chatId, readerId)?.read_seq as number | undefined) ?? 0;
    if (capped <= current) return null;
    q.upsertRead.run(chatId, readerId, capped);
    const updates = appendUpdates(chat, 'read', JSON.stringify({ readerId, seq: capped }));
    // Read (on any device, or by "Mark as read"): my mark "unread" goes too, told to my devices when it was set.
    const old = toSettings(get(q.settingsOf, readerId, chatId));
    if (old.markedUnread) {
      const settings = { ...old, markedUnread: false };
      upsert(readerId, chatId, settings);
      updates.push(...appendUpdates(chat, 'settings', JSON.stringify(settings), readerId));
    }
    return { seq: capped, updates };
  });

  const deleteTx = db.transaction((chatId: number, ids: string[]) => {
    const chat = toChat(get(q.chatById, chatId)!);
    const done = [...new Set(ids)].filter((id) => get(q.liveMessageInChat, chatId, id) !== undefined);
    const media: string[] = [];
    for (const id of done) {
      q.deleteMessage.run(chatId, id);
      for (const r of all(q.dropMessageMedia, id)) media.push(r.id as string);
    }
    // `media` only when some went (so callers comparing the plain result keep working).
    const extra = media.length ? { media } : {};
    if (done.length === 0) return { ids: done, updates: [], ...extra };
    return { ids: done, updates: appendUpdates(chat, 'delete', JSON.stringify(done)), ...extra };
  });

  const clearTx = db.transaction((chatId: number, upToSeq: number) => {
    const chat = toChat(get(q.chatById, chatId)!);
    const upTo = Math.min(upToSeq, chat.nextSeq - 1);
    const done = all(q.clearMessages, chatId, upTo)
      .sort((x, y) => (x.seq as number) - (y.seq as number))
      .map((r) => r.id as string);
    if (done.length === 0) return { ids: done, upTo, updates: [] };
    const media = all(q.dropMediaOf, JSON.stringify(done)).map((r) => r.id as string);
    return { ids: done, upTo, updates: appendUpdates(chat, 'delete', JSON.stringify(done)), ...(media.length ? { media } : {}) };
  });

  const clearedOf = (userId: string, chatId: number) => {
    const r = get(q.clearedOf, userId, chatId);
    return { clearedSeq: (r?.cleared_seq as number | undefined) ?? 0, removed: r?.removed === 1 };
  };

  const clearForMeTx = db.transaction((chatId: number, userId: string, upToSeq: number, removed: boolean) => {
    const chat = toChat(get(q.chatById, chatId)!);
    const old = clearedOf(userId, chatId);
    const clearedSeq = Math.max(old.clearedSeq, Math.min(upToSeq, chat.nextSeq - 1));
    if (clearedSeq === old.clearedSeq && removed === old.removed) return { clearedSeq, removed, updates: [] };
    q.upsertCleared.run(userId, chatId, clearedSeq, removed ? 1 : 0);
    return { clearedSeq, removed, updates: appendUpdates(chat, 'clear', JSON.stringify({ upTo: clearedSeq, removed }), userId) };
  });

  const editTx = db.transaction((chatId: number, id: string, body: Buffer, editedAt: number) => {
    if (q.editMessage.run(body, editedAt, chatId, id).changes === 0) return null;
    return { updates: appendUpdates(toChat(get(q.chatById, chatId)!), 'edit', id) };
  });

  const reactTx = db.transaction((chatId: number, id: string, userId: string, emoji: Buffer | null, at: number) => {
    if (get(q.liveMessageInChat, chatId, id) === undefined) return null;
    if (emoji) q.upsertReaction.run(id, userId, emoji, at);
    else q.dropReaction.run(id, userId);
    return { updates: appendUpdates(toChat(get(q.chatById, chatId)!), 'react', id) };
  });

  const settingsTx = db.transaction((chatId: number, userId: string, change: ChatSettingsChange, at: number, maxPinned: number) => {
    const old = toSettings(get(q.settingsOf, userId, chatId));
    const changed = changeSettings(old, change, at);
    const settings = pinEnters(old, changed) ? withPinRoom(old, changed, pinnedIn(userId, changed, chatId), maxPinned) : changed;
    if (settings === 'too_many_pinned') return settings;
    if (sameSettings(settings, old)) return { settings, updates: [] };
    upsert(userId, chatId, settings);
    return { settings, updates: appendUpdates(toChat(get(q.chatById, chatId)!), 'settings', JSON.stringify(settings), userId) };
  });

  return {
    async getChatSettings(chatId, userId) {
      return toSettings(get(q.settingsOf, userId, chatId));
    },
    async setChatSettings(chatId, userId, change, at, maxPinned) {
      return settingsTx(chatId, userId, change, at, maxPinned);
    },
    async reactMessage(chatId, id, userId, emoji, at) {
      return reactTx(chatId, id, userId, emoji, at);
    },
    async listReactions(ids) {
      return ids.length ? all(q.reactionsOf, JSON.stringify(ids)).map(toReaction) : [];
    },
    async getMessage(id) {
      const r = get(q.messageById, id);
      return r ? toMessage(r) : null;
    },
    async editMessage(chatId, id, body, editedAt) {
      return editTx(chatId, id, body, editedAt);
    },
    async getChat(x, y) {
      const r = get(q.chatByPair, ...pair(x, y));
      return r ? toChat(r) : null;
    },
    async sendMessage(input) {
      if (!input.scheduled) return sendMessageTx(input);
      try {
        return sendScheduledTx(input, input.scheduled);
      } catch (e) {
        if (e instanceof Undo) return e.result;
        throw e;
      }
    },
    async clearForMe(chatId, userId, upToSeq, removed) {
      return clearForMeTx(chatId, userId, upToSeq, removed);
    },
    async getClearedSeq(chatId, userId) {
      return clearedOf(userId, chatId).clearedSeq;
    },
    async listMessages(chatId, before, limit, afterSeq = 0) {
      return all(q.messagesBefore, chatId, before ?? Number.MAX_SAFE_INTEGER, afterSeq, limit)
        .map((r) => toMessage(r))
        .reverse();
    },
    async listChats(userId) {
      const out: ChatSummaryRow[] = all(q.chatsOf, userId, userId).flatMap((r) => {
        const chat = toChat(r);
        const peerId = chat.userA === userId ? chat.userB : chat.userA;
        const { clearedSeq, removed } = clearedOf(userId, chat.id);
        const last = get(q.lastMessage, chat.id, clearedSeq);
        if (removed && !last) return [];
        const myReadSeq = (get(q.readSeq, chat.id, userId)?.read_seq as number | undefined) ?? 0;
        const peerReadSeq = peerId === userId ? myReadSeq : ((get(q.readSeq, chat.id, peerId)?.read_seq as number | undefined) ?? 0);
        const unread = get(q.unread, chat.id, Math.max(myReadSeq, clearedSeq), userId)!.n as number;
        const settings = toSettings(get(q.settingsOf, userId, chat.id));
        return [{ chat, peerId, lastMessage: last ? toMessage(last) : null, myReadSeq, peerReadSeq, unread, ...settings, clearedSeq }];
      });
      // Newest activity first; chats whose messages were all deleted sink to the bottom.
      return out.sort((x, y) => (y.lastMessage?.createdAt ?? -1) - (x.lastMessage?.createdAt ?? -1) || y.chat.id - x.chat.id);
    },
    async markRead(chatId, readerId, seq) {
      return markReadTx(chatId, readerId, seq);
    },
    async deleteMessages(chatId, ids) {
      return deleteTx(chatId, ids);
    },
    async clearMessages(chatId, upToSeq) {
      return clearTx(chatId, upToSeq);
    },
    async listUpdates(userId, after, limit) {
      return all(q.updatesAfter, userId, after, limit).map(toUpdate);
    },
    async getUpdate(cursor) {
      const r = get(q.updateByCursor, cursor);
      return r ? toUpdate(r) : null;
    },
    async latestCursor(userId) {
      return (get(q.latestCursor, userId)?.c as number | null) ?? 0;
    }
  };
}
