/** A chat's pin and mute (../chat-settings.ts): a cloud chat's through the relay, a secret chat's on this device. */
import { z } from '$lib/api/zod';
import { ChatSettings } from '$lib/api/wire';
import { changeSecretSettings, checkPinRoom, storeCloudSettings } from '../chat-settings';
import { request } from '../net';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'emit'>;

const Answer = z.object({ settings: ChatSettings });

/** A cloud chat's change, as the relay stored it (the `settings` update brings it to my other devices). */
async function cloudChange(ctx: Ctx, peerId: string, change: { pinned?: boolean; mutedUntil?: number | null }) {
  const { settings } = await request('PUT', `/api/cloud/chats/${encodeURIComponent(peerId)}/settings`, change, Answer);
  await storeCloudSettings(ctx.db, peerId, settings);
}

const current = (row: { pinnedAt?: number; mutedUntil?: number }) => ({ pinnedAt: row.pinnedAt ?? null, mutedUntil: row.mutedUntil ?? null });

export const chatSettingsHandlers: Handlers<'pinChat' | 'muteChat', Ctx> = {
  pinChat: async (ctx, { kind, id, pinned }) => {
    if (pinned) await checkPinRoom(ctx.db, kind, id);
    if (kind === 'cloud') await cloudChange(ctx, id, { pinned });
    else {
      const at = Date.now();
      // A pin keeps its first time (the list's order stays), as the relay does for cloud chats.
      await changeSecretSettings(ctx.db, id, (row) => ({ ...current(row), pinnedAt: pinned ? (row.pinnedAt ?? at) : null }));
    }
    ctx.emit({ type: 'chats' });
    return null;
  },

  muteChat: async (ctx, { kind, id, mutedUntil }) => {
    if (kind === 'cloud') await cloudChange(ctx, id, { mutedUntil });
    else await changeSecretSettings(ctx.db, id, (row) => ({ ...current(row), mutedUntil }));
    ctx.emit({ type: 'chats' });
    return null;
  }
};
