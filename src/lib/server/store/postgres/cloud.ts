/** PostgreSQL: cloud chats, messages, read marks and the update log (chat row lock, then user locks). */
import { LIMITS } from '../../../api/limits';
import { changeSettings, num, pair, pinEnters, sameSettings, toChat, toMessage, toReaction, toSettings, toUpdate, unarchivedBy, withPinRoom } from '../rows';
import type { ChatSettingsRow, ChatSummaryRow, CloudStore, MessageRow, SendMessageResult } from '../types';
import { all, appendUpdates, LOCK, lockedChat, MESSAGE_COLS, one, UPDATE_SELECT, type Db, type Pg } from './db';

const SETTINGS_OF = 'SELECT pinned_at, muted_until, archived, marked_unread FROM cloud_chat_settings WHERE user_id = $1 AND chat_id = $2';

const upsertSettings = (c: Db, userId: string, chatId: number, s: ChatSettingsRow) =>
  c.query(
    `INSERT INTO cloud_chat_settings (user_id, chat_id, pinned_at, muted_until, archived, marked_unread) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (user_id, chat_id) DO UPDATE SET pinned_at = excluded.pinned_at, muted_until = excluded.muted_until, archived = excluded.archived,
       marked_unread = excluded.marked_unread`,
    [userId, chatId, s.pinnedAt, s.mutedUntil, s.archived, s.markedUnread]
  );

/** The user's other pinned chats in `s`'s list (the main one or the archive): each has its own room. */
const pinnedIn = async (c: Db, userId: string, s: ChatSettingsRow, chatId: number) =>
  num(
    (
      await one(c, 'SELECT count(*) AS n FROM cloud_chat_settings WHERE user_id = $1 AND pinned_at IS NOT NULL AND archived = $2 AND chat_id <> $3', [
        userId,
        s.archived,
        chatId
      ])
    )?.n
  );

const readSeq = async (db: Db, chatId: number, userId: string) =>
  num((await one(db, 'SELECT read_seq FROM chat_reads WHERE chat_id = $1 AND user_id = $2', [chatId, userId]))?.read_seq);

export function pgCloud({ pool, tx }: Pg): CloudStore {
  return {
    async getChat(x, y) {
      const r = await one(pool, 'SELECT * FROM cloud_chats WHERE user_a = $1 AND user_b = $2', pair(x, y));
      return r ? toChat(r) : null;
    },
    async sendMessage(input) {
      const [a, b] = pair(input.senderId, input.recipientId);
      // A scheduled message falling due: its row goes in the same transaction as the send, or nothing does.
      const undo = (r: SendMessageResult) => Object.assign(new Error('scheduled send undone'), { result: r });
      return tx<SendMessageResult>(async (c) => {
        const taken = input.scheduled
          ? await c.query('DELETE FROM scheduled_messages WHERE id = $1 AND sender_id = $2 AND version = $3', [
              input.scheduled.id,
              input.senderId,
              input.scheduled.version
            ])
          : null;
        if (taken && !taken.rowCount) return { ok: false, reason: 'scheduled_gone' };
        const r = await sendIn(c);
        if (!r.ok && input.scheduled) throw undo(r);
        if (r.ok && input.scheduled) r.updates.push(...(await appendUpdates(c, r.chat, 'scheduled', input.scheduled.id, input.senderId)));
        return r;
      }, true).catch((e: unknown) => {
        if (e instanceof Error && 'result' in e) return e.result as SendMessageResult;
        throw e;
      });

      async function sendIn(c: Parameters<Parameters<typeof tx>[0]>[0]): Promise<SendMessageResult> {
        const ex = await one(
          c,
          `SELECT m.*, c.user_a AS c_user_a, c.user_b AS c_user_b, c.next_seq AS c_next_seq, c.id AS c_id
           FROM cloud_messages m JOIN cloud_chats c ON c.id = m.chat_id WHERE m.id = $1`,
          [input.id]
        );
        if (ex) {
          const message = toMessage(ex);
          const chat = toChat(ex, 'c_');
          if (message.senderId !== input.senderId || chat.userA !== a || chat.userB !== b) {
            return { ok: false, reason: 'id_conflict' };
          }
          return { ok: true, created: false, chat, message, updates: [] };
        }
        if (input.media) {
          // Row lock: a concurrent send attaching the same upload waits, then sees it attached.
          const media = await one(c, 'SELECT owner_user_id, to_user_id, message_id, scheduled_id FROM cloud_media WHERE id = $1 FOR UPDATE', [input.media.id]);
          // An upload held by a scheduled message goes only with that message (its id).
          const held = media?.scheduled_id != null && media.scheduled_id !== input.id;
          if (!media || media.owner_user_id !== input.senderId || media.to_user_id !== input.recipientId || media.message_id !== null || held) {
            return { ok: false, reason: 'media_unavailable' };
          }
        }
        // Creates the chat or bumps its seq, holding the row lock until COMMIT: seqs are gap-free and
        // assigned in commit order. A concurrent send of the same id then fails on the unique key and
        // the retry finds the message above.
        const r = await one(
          c,
          `INSERT INTO cloud_chats (user_a, user_b, next_seq) VALUES ($1, $2, 2)
           ON CONFLICT (user_a, user_b) DO UPDATE SET next_seq = cloud_chats.next_seq + 1
           RETURNING *`,
          [a, b]
        );
        const chat = toChat(r!);
        const message: MessageRow = {
          chatId: chat.id,
          seq: chat.nextSeq - 1,
          id: input.id,
          senderId: input.senderId,
          senderDeviceId: input.senderDeviceId,
          body: input.body,
          createdAt: input.createdAt,
          deleted: false,
          editedAt: null
        };
        await c.query(
          `INSERT INTO cloud_messages (chat_id, seq, id, sender_id, sender_device_id, body, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [message.chatId, message.seq, message.id, message.senderId, message.senderDeviceId, message.body, message.createdAt]
        );
        if (input.media) {
          await c.query('UPDATE cloud_media SET message_id = $1, ttl = $2, scheduled_id = NULL WHERE id = $3', [message.id, input.media.ttl, input.media.id]);
        }
        const updates = await appendUpdates(c, chat, 'message', message.id);
        // The recipient's archived chat comes back to their list unless muted (after the message in
        // their log; the chat row and both users' locks are held already).
        if (input.recipientId !== input.senderId) {
          const was = toSettings(await one(c, SETTINGS_OF, [input.recipientId, chat.id]));
          let back = unarchivedBy(was, input.at ?? input.createdAt);
          // Pinned in the archive, it comes back unpinned to a main list with no room for its pin.
          if (back && pinEnters(was, back)) back = withPinRoom(was, back, await pinnedIn(c, input.recipientId, back, chat.id), LIMITS.pinnedMax) as ChatSettingsRow;
          if (back) {
            await upsertSettings(c, input.recipientId, chat.id, back);
            updates.push(...(await appendUpdates(c, chat, 'settings', JSON.stringify(back), input.recipientId)));
          }
        }
        return { ok: true, created: true, chat, message, updates };
      }
    },
    async listMessages(chatId, before, limit, afterSeq = 0) {
      return (
        await all(pool, 'SELECT * FROM cloud_messages WHERE chat_id = $1 AND seq < $2 AND seq > $4 AND NOT deleted ORDER BY seq DESC LIMIT $3', [
          chatId,
          before ?? Number.MAX_SAFE_INTEGER,
          limit,
          afterSeq
        ])
      )
        .map((r) => toMessage(r))
        .reverse();
    },
    async listChats(userId) {
      const rows = await all(
        pool,
        `SELECT c.id, c.user_a, c.user_b, c.next_seq,
                coalesce(mr.read_seq, 0) AS my_read, coalesce(pr.read_seq, 0) AS peer_read,
                s.pinned_at, s.muted_until, s.archived, s.marked_unread, coalesce(s.cleared_seq, 0) AS cleared_seq, coalesce(s.removed, FALSE) AS removed,
                ${MESSAGE_COLS('m_', 'lm')},
                (SELECT count(*) FROM cloud_messages x
                  WHERE x.chat_id = c.id AND x.seq > greatest(coalesce(mr.read_seq, 0), coalesce(s.cleared_seq, 0))
                    AND x.sender_id <> $1 AND NOT x.deleted) AS unread
         FROM cloud_chats c
         LEFT JOIN chat_reads mr ON mr.chat_id = c.id AND mr.user_id = $1
         LEFT JOIN chat_reads pr ON pr.chat_id = c.id
                               AND pr.user_id = (CASE WHEN c.user_a = $1 THEN c.user_b ELSE c.user_a END)
         LEFT JOIN cloud_chat_settings s ON s.user_id = $1 AND s.chat_id = c.id
         LEFT JOIN LATERAL (SELECT * FROM cloud_messages m WHERE m.chat_id = c.id AND NOT m.deleted
                            AND m.seq > coalesce(s.cleared_seq, 0) ORDER BY m.seq DESC LIMIT 1) lm ON TRUE
         WHERE (c.user_a = $1 OR c.user_b = $1) AND c.next_seq > 1`,
        [userId]
      );
      // A chat I deleted stays out of my list until a message after my cleared seq.
      const out: ChatSummaryRow[] = rows
        .filter((r) => !(r.removed && r.m_id == null))
        .map((r) => {
          const chat = toChat(r);
          return {
            clearedSeq: num(r.cleared_seq),
            chat,
            peerId: chat.userA === userId ? chat.userB : chat.userA,
            lastMessage: r.m_id == null ? null : toMessage(r, 'm_'),
            myReadSeq: num(r.my_read),
            peerReadSeq: num(r.peer_read),
            unread: num(r.unread),
            ...toSettings(r)
          };
        });
      return out.sort((x, y) => (y.lastMessage?.createdAt ?? -1) - (x.lastMessage?.createdAt ?? -1) || y.chat.id - x.chat.id);
    },
    async markRead(chatId, readerId, seq) {
      return tx(async (c) => {
        const chat = await lockedChat(c, chatId);
        const capped = Math.min(seq, chat.nextSeq - 1);
        if (capped <= (await readSeq(c, chatId, readerId))) return null;
        await c.query(
          `INSERT INTO chat_reads (chat_id, user_id, read_seq) VALUES ($1, $2, $3)
           ON CONFLICT (chat_id, user_id) DO UPDATE SET read_seq = excluded.read_seq`,
          [chatId, readerId, capped]
        );
        const updates = await appendUpdates(c, chat, 'read', JSON.stringify({ readerId, seq: capped }));
        // Read (on any device, or by "Mark as read"): my mark "unread" goes too, told to my devices when it was set.
        const old = toSettings(await one(c, SETTINGS_OF, [readerId, chatId]));
        if (old.markedUnread) {
          const settings = { ...old, markedUnread: false };
          await upsertSettings(c, readerId, chatId, settings);
          updates.push(...(await appendUpdates(c, chat, 'settings', JSON.stringify(settings), readerId)));
        }
        return { seq: capped, updates };
      });
    },
    async deleteMessages(chatId, ids) {
      const wanted = [...new Set(ids)];
      return tx(async (c) => {
        const chat = await lockedChat(c, chatId);
        const hit = new Set(
          (
            await all(
              c,
              `UPDATE cloud_messages SET deleted = TRUE, body = ''::bytea
               WHERE chat_id = $1 AND id = ANY($2::text[]) AND NOT deleted RETURNING id`,
              [chatId, wanted]
            )
          ).map((r) => r.id as string)
        );
        const done = wanted.filter((id) => hit.has(id));
        const media =
          done.length === 0 ? [] : (await all(c, 'DELETE FROM cloud_media WHERE message_id = ANY($1::text[]) RETURNING id', [done])).map((r) => r.id as string);
        const extra = media.length ? { media } : {};
        if (done.length === 0) return { ids: done, updates: [], ...extra };
        return { ids: done, updates: await appendUpdates(c, chat, 'delete', JSON.stringify(done)), ...extra };
      });
    },
    async clearMessages(chatId, upToSeq) {
      return tx(async (c) => {
        const chat = await lockedChat(c, chatId);
        const upTo = Math.min(upToSeq, chat.nextSeq - 1);
        const done = (
          await all(c, `UPDATE cloud_messages SET deleted = TRUE, body = ''::bytea WHERE chat_id = $1 AND seq <= $2 AND NOT deleted RETURNING id, seq`, [chatId, upTo])
        )
          .sort((x, y) => num(x.seq) - num(y.seq))
          .map((r) => r.id as string);
        if (done.length === 0) return { ids: done, upTo, updates: [] };
        const media = (await all(c, 'DELETE FROM cloud_media WHERE message_id = ANY($1::text[]) RETURNING id', [done])).map((r) => r.id as string);
        return { ids: done, upTo, updates: await appendUpdates(c, chat, 'delete', JSON.stringify(done)), ...(media.length ? { media } : {}) };
      });
    },
    async clearForMe(chatId, userId, upToSeq, removed) {
      return tx(async (c) => {
        const chat = await lockedChat(c, chatId);
        const old = await one(c, 'SELECT cleared_seq, removed FROM cloud_chat_settings WHERE user_id = $1 AND chat_id = $2 FOR UPDATE', [userId, chatId]);
        const oldSeq = num(old?.cleared_seq);
        const clearedSeq = Math.max(oldSeq, Math.min(upToSeq, chat.nextSeq - 1));
        if (old && clearedSeq === oldSeq && removed === old.removed) return { clearedSeq, removed, updates: [] };
        if (!old && clearedSeq === 0 && !removed) return { clearedSeq, removed, updates: [] };
        await c.query(
          `INSERT INTO cloud_chat_settings (user_id, chat_id, cleared_seq, removed) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, chat_id) DO UPDATE SET cleared_seq = excluded.cleared_seq, removed = excluded.removed`,
          [userId, chatId, clearedSeq, removed]
        );
        return { clearedSeq, removed, updates: await appendUpdates(c, chat, 'clear', JSON.stringify({ upTo: clearedSeq, removed }), userId) };
      });
    },
    async getClearedSeq(chatId, userId) {
      return num((await one(pool, 'SELECT cleared_seq FROM cloud_chat_settings WHERE user_id = $1 AND chat_id = $2', [userId, chatId]))?.cleared_seq);
    },
    async getMessage(id) {
      const r = await one(pool, 'SELECT * FROM cloud_messages WHERE id = $1', [id]);
      return r ? toMessage(r) : null;
    },
    async editMessage(chatId, id, body, editedAt) {
      return tx(async (c) => {
        // The chat row first, as every write of the update log takes it (then the users' locks).
        const chat = await lockedChat(c, chatId);
        const hit = await c.query('UPDATE cloud_messages SET body = $1, edited_at = $2 WHERE chat_id = $3 AND id = $4 AND NOT deleted', [body, editedAt, chatId, id]);
        if (!hit.rowCount) return null;
        return { updates: await appendUpdates(c, chat, 'edit', id) };
      });
    },
    async reactMessage(chatId, id, userId, emoji, at) {
      return tx(async (c) => {
        // The chat row first, as every write of the update log takes it (then the users' locks).
        const chat = await lockedChat(c, chatId);
        const live = await c.query('SELECT 1 FROM cloud_messages WHERE chat_id = $1 AND id = $2 AND NOT deleted FOR UPDATE', [chatId, id]);
        if (!live.rowCount) return null;
        if (emoji)
          await c.query(
            `INSERT INTO cloud_reactions (message_id, user_id, emoji, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, at = excluded.at`,
            [id, userId, emoji, at]
          );
        else await c.query('DELETE FROM cloud_reactions WHERE message_id = $1 AND user_id = $2', [id, userId]);
        return { updates: await appendUpdates(c, chat, 'react', id) };
      });
    },
    async getChatSettings(chatId, userId) {
      return toSettings(await one(pool, SETTINGS_OF, [userId, chatId]));
    },
    async setChatSettings(chatId, userId, change, at, maxPinned) {
      return tx(async (c) => {
        // The chat row first, as every write of the update log takes it; then the user's lock, which
        // also serialises this user's pins (the count below stays true until COMMIT).
        const chat = await lockedChat(c, chatId);
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.user, userId]);
        const old = toSettings(await one(c, SETTINGS_OF, [userId, chatId]));
        const changed = changeSettings(old, change, at);
        const settings = pinEnters(old, changed) ? withPinRoom(old, changed, await pinnedIn(c, userId, changed, chatId), maxPinned) : changed;
        if (settings === 'too_many_pinned') return settings;
        if (sameSettings(settings, old)) return { settings, updates: [] };
        await upsertSettings(c, userId, chatId, settings);
        return { settings, updates: await appendUpdates(c, chat, 'settings', JSON.stringify(settings), userId) };
      });
    },
    async listReactions(ids) {
      if (!ids.length) return [];
      return (await all(pool, 'SELECT * FROM cloud_reactions WHERE message_id = ANY($1::text[])', [ids])).map(toReaction);
    },
    async listUpdates(userId, after, limit) {
      return (await all(pool, `${UPDATE_SELECT} WHERE u.user_id = $1 AND u.cursor > $2 ORDER BY u.cursor LIMIT $3`, [userId, after, limit])).map(toUpdate);
    },
    async getUpdate(cursor) {
      const r = await one(pool, `${UPDATE_SELECT} WHERE u.cursor = $1`, [cursor]);
      return r ? toUpdate(r) : null;
    },
    async latestCursor(userId) {
      return num((await one(pool, 'SELECT max(cursor) AS c FROM user_updates WHERE user_id = $1', [userId]))?.c);
    }
  };
}
