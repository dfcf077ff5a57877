/**
 * Blocking users (docs/api.md "Blocking"). Each account keeps a list of users it blocked; a change
 * tells every device of the account (a `blocks` frame, then they read the list again: it is also read
 * at every connect, so a device that was away misses nothing).
 *
 * What a block stops, both ways, is whatever one of the two would *write* to the other: a cloud message
 * (and a forward into that chat, an upload addressed to that user, an edit, a reaction, a pin), a
 * secret-chat request and typing. A blocked user is refused with 403 `blocked`; the blocker, writing to
 * someone they blocked, with 403 `you_blocked` (unblock first, as in Telegram). Reading a chat, marking
 * it read, deleting messages and one's own chat settings stay open to both. A refused write stores
 * nothing, so nothing is delivered live or pushed. Messages inside an existing secret chat are sealed
 * (the relay cannot tell their sender); the blocker's worker drops those (docs/threat-model.md).
 */
import { LIMITS } from '../api/limits';
import type { BlockedUser } from '../api/wire';
import type { Bus } from './bus';
import { HttpError } from './http';
import type { BlockRow, BlockStore, UserStore } from './store/types';

export const blockedError = () => new HttpError(403, 'blocked', 'This user blocked you: nothing was sent.');
export const youBlockedError = () => new HttpError(403, 'you_blocked', 'You blocked this user. Unblock them to write to them.');

/**
 * Throws when `senderId` may not write to `recipientId`: 403 `blocked` when the recipient blocked the
 * sender (checked first: it is the answer whatever the sender did), 403 `you_blocked` when the sender
 * blocked the recipient.
 */
export async function refuseBlocked(store: BlockStore, senderId: string, recipientId: string): Promise<void> {
  if (senderId === recipientId) return;
  const { aBlockedB: recipientBlocked, bBlockedA: senderBlocked } = await store.blockedBetween(recipientId, senderId);
  if (recipientBlocked) throw blockedError();
  if (senderBlocked) throw youBlockedError();
}

/** Whether either of the two blocked the other (typing is dropped without an answer). */
export async function eitherBlocked(store: BlockStore, a: string, b: string): Promise<boolean> {
  const { aBlockedB, bBlockedA } = await store.blockedBetween(a, b);
  return aBlockedB || bBlockedA;
}

const wire = ({ user, at }: BlockRow): BlockedUser => ({ id: user.id, username: user.username, displayName: user.displayName, since: at });

export interface BlocksDeps {
  store: BlockStore & UserStore;
  bus: Bus;
  now: () => number;
}

export function createBlocks({ store, bus, now }: BlocksDeps) {
  /** Every device of `userId` reads its block list again. */
  const tell = (userId: string) => bus.publish({ to: 'user', userId, frame: { t: 'blocks' } });

  return {
    tell,

    /** `userId`'s blocked users, the latest blocked first. */
    async list(userId: string): Promise<BlockedUser[]> {
      return (await store.listBlocked(userId)).map(wire);
    },

    /**
     * `me` blocks `userId`: idempotent (a repeat keeps the first time). 400 for myself, 404 for an
     * unknown user, 410 for a deleted account (nothing more can come from it), 409 past LIMITS.blockedMax.
     */
    async block(me: string, userId: string): Promise<BlockedUser> {
      if (me === userId) throw new HttpError(400, 'bad_request', 'You cannot block yourself.');
      const user = await store.getUser(userId);
      if (!user) throw new HttpError(404, 'not_found', 'no such user');
      if (user.deletedAt != null) throw new HttpError(410, 'gone', 'this account was deleted');
      const r = await store.block(me, userId, now(), LIMITS.blockedMax);
      if (r === 'too_many_blocked') throw new HttpError(409, 'too_many_blocked', `Unblock someone first: up to ${LIMITS.blockedMax} blocked users`);
      if (r.created) tell(me);
      return wire({ user, at: r.at });
    },

    /** `me` unblocks `userId`: idempotent (none to remove is fine); 400 for myself, 404 for an unknown user. */
    async unblock(me: string, userId: string): Promise<void> {
      if (me === userId) throw new HttpError(400, 'bad_request', 'You cannot unblock yourself.');
      if (!(await store.getUser(userId))) throw new HttpError(404, 'not_found', 'no such user');
      if (await store.unblock(me, userId)) tell(me);
    }
  };
}

export type Blocks = ReturnType<typeof createBlocks>;
