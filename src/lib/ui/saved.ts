/**
 * Saved Messages: my cloud chat with myself (its route is /chat/<my user id>), shown under that name
 * with a bookmark instead of my own name and initials. The relay and the worker keep it as any cloud chat.
 */
import type { UserView } from '$lib/worker/protocol';
import { app } from './app.svelte';

export const SAVED_TITLE = 'Saved Messages';

/** My user id, the peer id of my Saved Messages (null while signed out). */
export const savedId = (): string | null => app.session?.user.id ?? null;

/** Whether the cloud chat with `peerId` is my Saved Messages. */
export const isSaved = (peerId: string | undefined): boolean => !!peerId && peerId === savedId();

/** What a chat is called in lists: "Saved Messages" for mine, else its peer's name. */
export const chatName = (c: { kind: 'cloud' | 'secret'; peer: UserView }): string => (c.kind === 'cloud' && isSaved(c.peer.id) ? SAVED_TITLE : c.peer.displayName);
