/** A chat's pin, mute and archive as the menus offer them (the chat list's row menu, a chat's header menu). */
import { MUTED_FOREVER } from '$lib/api/limits';
import { core } from '$lib/worker/client';
import type { ChatView } from '$lib/worker/protocol';

/** How long a mute lasts: Telegram's choices. */
export const MUTE_CHOICES: readonly { label: string; ms: number | null }[] = [
  { label: 'Mute for 1 hour', ms: 3600_000 },
  { label: 'Mute for 8 hours', ms: 8 * 3600_000 },
  { label: 'Mute for 1 day', ms: 24 * 3600_000 },
  { label: 'Mute for 1 week', ms: 7 * 24 * 3600_000 },
  { label: 'Mute until I turn it back on', ms: null }
];

export type ChatRef = Pick<ChatView, 'kind' | 'id'>;

export const pinChat = (c: ChatRef, pinned: boolean) => core().call('pinChat', { kind: c.kind, id: c.id, pinned });

/** Mutes for `ms` from now (null: until unmuted), or unmutes (`ms` undefined). */
export const muteChat = (c: ChatRef, ms?: number | null) =>
  core().call('muteChat', { kind: c.kind, id: c.id, mutedUntil: ms === undefined ? null : ms === null ? MUTED_FOREVER : Date.now() + ms });

/** Archives (out of the main list, into "Archived chats") or unarchives a chat. */
export const archiveChat = (c: ChatRef, archived: boolean) => core().call('archiveChat', { kind: c.kind, id: c.id, archived });
