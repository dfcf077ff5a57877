/**
 * A cloud chat as its members may know it. Scheduling the first message of a chat creates its row with
 * no message (next_seq 1, ./cloud-scheduled.ts); until a message is sent in it, it answers everywhere as
 * a chat never used (404, no typing), so neither member can act on it and the peer cannot learn of it.
 */
import type { ChatRow, Store } from './store/types';

export async function chatOf(store: Pick<Store, 'getChat'>, userId: string, peerId: string): Promise<ChatRow | null> {
  const chat = await store.getChat(userId, peerId);
  return chat && chat.nextSeq > 1 ? chat : null;
}
