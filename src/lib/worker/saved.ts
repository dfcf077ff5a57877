/**
 * Saved Messages: my cloud chat with myself, its peer id my own user id. The relay keeps it as any cloud
 * chat, with one copy of each change in my log (I am its only member), so every device of mine follows
 * it like the others. What differs here comes from its having no other reader: its row can be made
 * from my own profile (offline too, before it holds a message), and no read marker or typing is sent.
 */
import type { ChatRow, CinderDB } from '$lib/store/db';
import { storeChatPeer } from './cloud';
import type { SessionView } from './protocol';

/** Whether the cloud chat with `peerId` is my Saved Messages (the page's `isSaved` knows `me` from the session). */
export const isSelfChat = (peerId: string, me: string): boolean => peerId === me;

/** The Saved Messages row, made from my profile when this device has none yet (without asking the relay). */
export async function savedChat(db: CinderDB, session: SessionView): Promise<ChatRow> {
  return (await db.chats.get(session.user.id)) ?? storeChatPeer(db, session.user);
}
