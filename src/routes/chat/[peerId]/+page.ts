import { core } from '$lib/worker/client';
import type { PageLoad } from './$types';

/**
 * Asks for the chat and its newest page as soon as the route is known: in parallel with the worker's
 * start-up and with the page's own code loading, rather than after it mounts. The page falls back to
 * asking again if these failed (e.g. the app was locked when they were sent).
 */
export const load: PageLoad = ({ params }) => {
  const peerId = params.peerId;
  const first = core().call('messages', { peerId, limit: 50 });
  const chat = core().call('chat', { peerId });
  first.catch(() => undefined);
  chat.catch(() => undefined);
  return { peerId, first, chat };
};
