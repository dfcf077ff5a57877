/**
 * Pinned messages of cloud chats: shared by both members (either may pin any live message of their
 * chat, up to LIMITS.pinnedMessagesMax), each change a 'pin' update in both users' logs carrying the
 * chat's pins as they are when it is served (./cloud.ts `hydrate`), so every device converges on
 * replay. A deleted message loses its pin in the store (a trigger); the 'delete' update tells devices.
 */
import { LIMITS } from '../api/limits';
import type { CloudPin } from '../api/wire';
import { refuseBlocked } from './blocks';
import { chatOf } from './chat-of';
import { HttpError } from './http';
import type { AppendedUpdate, MessageRow, Store } from './store/types';

export interface CloudPinsDeps {
  store: Store;
  now: () => number;
  /** Live delivery of the appended update rows (Cloud.publish). */
  publish: (appended: AppendedUpdate[]) => Promise<void>;
}

/** The chat's pins on the wire, newest first. */
export const pinsWire = async (store: Store, chatId: number): Promise<CloudPin[]> => (await store.listPins(chatId)).map((p) => ({ id: p.messageId, at: p.at }));

/**
 * Message `id` of chat `chatId` as `userId` may act on it (edit, react, pin): 404, as for a missing
 * one, when it is not in that chat or is at or below their cleared seq (their devices no longer hold it).
 */
export async function messageFor(store: Store, userId: string, chatId: number, id: string): Promise<MessageRow> {
  const m = await store.getMessage(id);
  if (!m || m.chatId !== chatId || m.seq <= (await store.getClearedSeq(chatId, userId))) throw new HttpError(404, 'not_found', 'no such message in this chat');
  return m;
}

export function createCloudPins({ store, now, publish }: CloudPinsDeps) {
  return {
    /**
     * `userId` pins (or unpins) message `id` of their chat with `peerId`: 404 when there is no such chat
     * or message in it (or they cleared it), 403 when either blocked the other (./blocks.ts), 410 once deleted, 409
     * too_many_pinned past the limit. A pin already there (or
     * an unpin of none) changes nothing.
     */
    async pin(userId: string, peerId: string, id: string, pinned: boolean): Promise<void> {
      const chat = await chatOf(store, userId, peerId);
      if (!chat) throw new HttpError(404, 'not_found', 'no such chat');
      await refuseBlocked(store, userId, peerId);
      const m = await messageFor(store, userId, chat.id, id);
      if (m.deleted) throw new HttpError(410, 'gone', 'that message was deleted');
      const r = await store.pinMessage(chat.id, id, userId, pinned, now(), LIMITS.pinnedMessagesMax);
      if (r === 'too_many_pinned') throw new HttpError(409, 'too_many_pinned', `Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat`);
      if (!r) throw new HttpError(410, 'gone', 'that message was deleted');
      await publish(r.updates);
    }
  };
}

export type CloudPins = ReturnType<typeof createCloudPins>;
