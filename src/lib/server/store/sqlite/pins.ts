/** SQLite: messages pinned in cloud chats (../types.ts CloudPinStore; migration 12). */
import { toChat, toPin } from '../rows';
import type { CloudPinStore } from '../types';
import { all, get, type AppendUpdates, type Db } from './db';

export function sqlitePins(db: Db, appendUpdates: AppendUpdates): CloudPinStore {
  const q = {
    chatById: db.prepare('SELECT * FROM cloud_chats WHERE id = ?'),
    liveMessageInChat: db.prepare('SELECT id FROM cloud_messages WHERE chat_id = ? AND id = ? AND deleted = 0'),
    pinOf: db.prepare('SELECT 1 FROM cloud_pins WHERE message_id = ?'),
    count: db.prepare('SELECT count(*) AS n FROM cloud_pins WHERE chat_id = ?'),
    insert: db.prepare('INSERT INTO cloud_pins (message_id, chat_id, pinned_by, at) VALUES (?, ?, ?, ?)'),
    drop: db.prepare('DELETE FROM cloud_pins WHERE message_id = ?'),
    pinsOf: db.prepare('SELECT * FROM cloud_pins WHERE chat_id = ? ORDER BY at DESC, message_id')
  };

  const pinTx = db.transaction((chatId: number, id: string, userId: string, pinned: boolean, at: number, max: number) => {
    if (get(q.liveMessageInChat, chatId, id) === undefined) return null;
    const was = get(q.pinOf, id) !== undefined;
    if (was === pinned) return { updates: [] };
    if (pinned) {
      if ((get(q.count, chatId)!.n as number) >= max) return 'too_many_pinned' as const;
      q.insert.run(id, chatId, userId, at);
    } else q.drop.run(id);
    return { updates: appendUpdates(toChat(get(q.chatById, chatId)!), 'pin', id) };
  });

  return {
    async pinMessage(chatId, id, userId, pinned, at, max) {
      return pinTx(chatId, id, userId, pinned, at, max);
    },
    async listPins(chatId) {
      return all(q.pinsOf, chatId).map(toPin);
    }
  };
}
