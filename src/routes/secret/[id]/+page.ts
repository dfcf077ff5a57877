import { CHAT_FIRST_PAGE } from '$lib/chat/chat-ui';
import { core } from '$lib/worker/client';
import type { PageLoad } from './$types';

/** The secret chat and the page it opens at (its first unread message, else its newest), asked for together (opening a chat is one round trip). */
export function _openSecret(id: string) {
  const chat = core().call('secretChat', { id });
  const first = core().call('secretMessagesOpening', { id, limit: CHAT_FIRST_PAGE });
  chat.catch(() => undefined); // handled where they are awaited
  first.catch(() => undefined);
  return { chat, first };
}

/**
 * Asks as soon as the route is known: in parallel with the worker's start-up and with the page's own
 * code loading, rather than after it mounts. The page asks again if these failed (e.g. the app was
 * locked when they were sent).
 */
export const load: PageLoad = ({ params }) => ({ id: params.id, ..._openSecret(params.id) });
