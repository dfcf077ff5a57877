/** Stored chat rows for tests that need a chat list on the device but no messages in it. */
import type { ChatRow, PeerProfile, SecretChatRow } from '$lib/store/db';

const x: PeerProfile = { id: 'x', username: 'x', displayName: 'X' };

/** A cloud chat with `peer`, everything read, `extra` (a pin, a mute…) on top. */
export const chatRow = (peerId: string, extra: Partial<ChatRow> = {}, peer = x): ChatRow => ({
  peerId,
  peer,
  lastAt: 1,
  myReadSeq: 0,
  readSentSeq: 0,
  peerReadSeq: 0,
  ...extra
});

/** An active secret chat `id` with `peer` (its state box empty), `extra` on top. */
export const secretChatRow = (id: string, extra: Partial<SecretChatRow> = {}, peer = x): SecretChatRow => ({
  id,
  peerId: peer.id,
  peer,
  role: 'initiator',
  status: 'active',
  peerDeviceId: 'd',
  createdAt: 1,
  lastAt: 1,
  cancelledBy: null,
  box: new Uint8Array(),
  ...extra
});
