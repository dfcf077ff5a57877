/** PostgreSQL: messages pinned in cloud chats (../types.ts CloudPinStore; migration 12). */
import { num, toPin } from '../rows';
import type { CloudPinStore } from '../types';
import { all, appendUpdates, lockedChat, one, type Pg } from './db';

export function pgPins({ pool, tx }: Pg): CloudPinStore {
  return {
    async pinMessage(chatId, id, userId, pinned, at, max) {
      return tx(async (c) => {
        // The chat row first, as every write of the update log takes it: it also serialises this
        // chat's pins, so the count below stays true until COMMIT.
        const chat = await lockedChat(c, chatId);
        const live = await c.query('SELECT 1 FROM cloud_messages WHERE chat_id = $1 AND id = $2 AND NOT deleted FOR UPDATE', [chatId, id]);
        if (!live.rowCount) return null;
        const was = !!(await c.query('SELECT 1 FROM cloud_pins WHERE message_id = $1', [id])).rowCount;
        if (was === pinned) return { updates: [] };
        if (pinned) {
          const n = num((await one(c, 'SELECT count(*) AS n FROM cloud_pins WHERE chat_id = $1', [chatId]))?.n);
          if (n >= max) return 'too_many_pinned' as const;
          await c.query('INSERT INTO cloud_pins (message_id, chat_id, pinned_by, at) VALUES ($1, $2, $3, $4)', [id, chatId, userId, at]);
        } else await c.query('DELETE FROM cloud_pins WHERE message_id = $1', [id]);
        return { updates: await appendUpdates(c, chat, 'pin', id) };
      });
    },
    async listPins(chatId) {
      return (await all(pool, 'SELECT * FROM cloud_pins WHERE chat_id = $1 ORDER BY at DESC, message_id', [chatId])).map(toPin);
    }
  };
}
