/** Clear history / delete chat of a cloud chat (../cloud-clear.ts): online only, applied here once the relay has it. */
import { applyUpdates } from '../cloud-sync';
import { newestStoredSeq } from '../cloud-clear';
import { SYNC_LOCK, withLock } from '../locks';
import { NetError, request } from '../net';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit'>;

export const cloudClearHandlers: Handlers<'clearCloudChat', Ctx> = {
  clearCloudChat: async (ctx, { peerId, forBoth, removeChat }) => {
    // No `upTo`: up to the relay's newest, messages this device has not synced yet too (their 'clear'
    // update, with the relay's seq, takes those when they come). Here: what this device holds.
    const upTo = await newestStoredSeq(ctx.db, peerId);
    try {
      await request('POST', `/api/cloud/chats/${encodeURIComponent(peerId)}/clear`, { forBoth, removeChat }, null);
    } catch (e) {
      if (e instanceof NetError && e.code === 'offline') throw new CoreError('offline', 'You are offline. Connect to clear this chat.');
      throw e;
    }
    // As the log will say it (the same update again changes nothing); the peer's 'delete' comes through the log.
    // Under the sync's lock: a page read before the clear is never written over it.
    await withLock(SYNC_LOCK, () => applyUpdates(ctx.db, ctx.vault, ctx.me, [{ kind: 'clear', cursor: 0, peerId, upTo, removed: removeChat }]));
    ctx.emit({ type: 'messages', peerId });
    ctx.emit({ type: 'chats' });
    return null;
  }
};
