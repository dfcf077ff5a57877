/**
 * Which of this device's waiting chats an answer to its request (an ACCEPT, a REFUSE) is for: the one
 * holding a pending handshake with that chat id, sent to that device. A waiting chat whose state a
 * newer version wrote is skipped, not the search's end: the answer may be for another chat with the
 * same peer. Only when none matches is its NewerStateError thrown (the answer is then kept for it,
 * parked.ts); with none such, `unknown_chat`.
 */
import type { AddressedEnvelope } from '$lib/api/wire';
import type { SecretChatRow } from '$lib/store/db';
import type { Chats } from './chats';
import { NewerStateError, SecretError } from './errors';
import { openState, wipeState } from './stored';

export async function pendingTarget(chats: Chats, env: AddressedEnvelope, protoChatId: string, what: 'accept' | 'refusal'): Promise<SecretChatRow> {
  const { ctx } = chats;
  let target: SecretChatRow | undefined;
  let newer: NewerStateError | null = null;
  for (const row of await ctx.db.secretChats.where('peerId').equals(env.fromUserId).toArray()) {
    if (row.status !== 'waiting') continue;
    let state;
    try {
      ({ state } = await openState(ctx.vault, row.id, row.box));
    } catch (e) {
      if (!(e instanceof NewerStateError)) throw e;
      newer ??= e;
      continue;
    }
    if (state.pendings.some((p) => p.protoChatId === protoChatId && p.deviceId === env.fromDeviceId)) target = row;
    wipeState(state);
  }
  if (target) return target;
  if (newer) throw newer;
  throw new SecretError('unknown_chat', `${what} for no pending secret chat`);
}
