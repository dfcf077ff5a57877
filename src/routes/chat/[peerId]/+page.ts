import { CHAT_FIRST_PAGE } from '$lib/chat/chat-ui';
import { core } from '$lib/worker/client';
import type { PageLoad } from './$types';

/** The chat and the page it opens at (its first unread message, else its newest), asked for together (opening a chat is one round trip). */
export function _openChat(peerId: string) {
  const first = core().call('messagesOpening', { peerId, limit: CHAT_FIRST_PAGE });
  const chat = core().call('chat', { peerId, refresh: true });
  first.catch(() => undefined); // handled where they are awaited
  chat.catch(() => undefined);
  return { first, chat };
}

/**
 * Asks as soon as the route is known: in parallel with the worker's start-up and with the page's own
 * code loading, rather than after it mounts. The page asks again if these failed (e.g. the app was
 * locked when they were sent).
 */
export const load: PageLoad = ({ params }) => ({ peerId: params.peerId, ..._openChat(params.peerId) });
