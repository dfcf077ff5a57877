/** Cloud sync updates for worker tests: a peer, message ids and a cursor that only grows. */
import type { CloudMessage, PublicUser, Update } from '$lib/api/wire';

export const ME = 'me';
export const bob: PublicUser = { id: 'bob', username: 'bob', displayName: 'Bob' };
export const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

let cursor = 0;
/** The next update cursor (shared by every test of a file: cursors only grow). */
export const nextCursor = () => ++cursor;
/** The last cursor handed out. */
export const lastCursor = () => cursor;

/** Message `i` in the chat with bob, from `from` (ME or 'bob'), `extra` (an attachment…) on top. */
export function msg(i: number, from: string, seq = i, extra: Partial<CloudMessage> = {}): Update {
  const message: CloudMessage = {
    id: uuid(i),
    peerId: 'bob',
    seq,
    senderId: from,
    senderDeviceId: 'd',
    text: `text ${i}`,
    replyTo: null,
    createdAt: 1_000 + i,
    ...extra
  };
  return { kind: 'message', cursor: nextCursor(), message, peer: bob };
}
