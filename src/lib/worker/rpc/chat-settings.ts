/**
 * A chat's pin, mute, archive and unread mark (../chat-settings.ts, ../unread-mark.ts): a cloud chat's
 * through the relay (queued while offline), a secret chat's on this device.
 */
import type { ChatSettingsReq } from '$lib/api/wire';
import { changeSecretSettings, checkPinRoom, currentSettings } from '../chat-settings';
import { takeAction } from '../cloud-actions-local';
import { markRead, markUnread } from '../unread-mark';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit' | 'flush'>;

/**
 * A cloud chat's change: shown here at once and sent with the outbox (../cloud-actions.ts), the
 * relay's answer stored then; the `settings` update brings it to my other devices.
 */
const cloudChange = (ctx: Ctx, peerId: string, req: ChatSettingsReq) => takeAction(ctx, peerId, { kind: 'settings', req });

export const chatSettingsHandlers: Handlers<'pinChat' | 'muteChat' | 'archiveChat' | 'markChatUnread' | 'markChatRead', Ctx> = {
  pinChat: async (ctx, { kind, id, pinned }) => {
    if (pinned) await checkPinRoom(ctx.db, kind, id);
    if (kind === 'cloud') await cloudChange(ctx, id, { pinned });
    else {
      const at = Date.now();
      // A pin keeps its first time (the list's order stays), as the relay does for cloud chats.
      await changeSecretSettings(ctx.db, id, (row) => ({ ...currentSettings(row), pinnedAt: pinned ? (row.pinnedAt ?? at) : null }));
    }
    ctx.emit({ type: 'chats' });
    return null;
  },

  muteChat: async (ctx, { kind, id, mutedUntil }) => {
    if (kind === 'cloud') await cloudChange(ctx, id, { mutedUntil });
    else await changeSecretSettings(ctx.db, id, (row) => ({ ...currentSettings(row), mutedUntil }));
    ctx.emit({ type: 'chats' });
    return null;
  },

  archiveChat: async (ctx, { kind, id, archived }) => {
    if (kind === 'cloud') await cloudChange(ctx, id, { archived });
    else await changeSecretSettings(ctx.db, id, (row) => ({ ...currentSettings(row), archived }));
    ctx.emit({ type: 'chats' });
    return null;
  },

  markChatUnread: async (ctx, { kind, id, marked }) => {
    await markUnread(ctx, kind, id, marked);
    return null;
  },

  markChatRead: async (ctx, { kind, id }) => {
    await markRead(ctx, kind, id);
    return null;
  }
};
