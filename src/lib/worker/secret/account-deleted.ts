/**
 * The relay's 'account_deleted' notice (docs/api.md "Account deletion"): the account of the device that
 * sent it is gone, so every secret chat with that device ends here, with a service message, its keys
 * wiped and sending refused (status 'cancelled'). Only the relay can set `notice` on an envelope (no
 * client request carries it), and it names the deleted account's own device and user, so a notice can
 * end only chats with that very device; the history stays (it is this device's copy).
 */
import type { AddressedEnvelope } from '$lib/api/wire';
import { zeroize } from '$lib/crypto/bytes';
import type { Chats } from './chats';
import { NewerStateError } from './errors';
import { dropPendings, wipeState } from './stored';

export async function endChatsWithDeletedAccount(chats: Chats, env: AddressedEnvelope): Promise<void> {
  const { db } = chats.ctx;
  const rows = await db.secretChats.where('peerId').equals(env.fromUserId).toArray();
  // A chat a newer version wrote cannot end here: the others still do, then the notice is kept for it (parked.ts).
  let newer: NewerStateError | null = null;
  for (const row0 of rows) {
    // A chat with another device of that user is told by that device's own notice; a request still
    // waiting for an answer has no device yet and ends with the first notice.
    if (row0.status === 'cancelled' || (row0.peerDeviceId !== null && row0.peerDeviceId !== env.fromDeviceId)) continue;
    const ended = chats.locked(row0.id, async () => {
      const { row, state } = await chats.load(row0.id);
      if (row.status === 'cancelled') return wipeState(state);
      const now = Math.max(Date.now(), row.lastAt + 1);
      if (state.session) zeroize(state.session);
      state.session = null;
      dropPendings(state);
      const notice = chats.messageRow(row.id, crypto.randomUUID(), now, false, {
        kind: 'service',
        text: '',
        replyTo: null,
        ttl: 0,
        service: 'account_deleted',
        by: 'peer'
      });
      await chats.commit(row.id, { row: { ...row, status: 'cancelled', cancelledBy: 'peer', lastAt: now }, state, put: [notice] });
    });
    try {
      await ended;
    } catch (e) {
      if (!(e instanceof NewerStateError)) throw e;
      newer ??= e;
      continue;
    }
    chats.changed(row0.id);
  }
  if (newer) throw newer;
}
