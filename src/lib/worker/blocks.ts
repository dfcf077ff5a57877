/**
 * My block list on this device: the relay keeps it (docs/api.md "Blocking"); this is its copy in `meta`
 * (key `blocks`, in clear like the chats' peer profiles), read back through its schema, so the list and
 * the chat screens show it offline too and the secret engine can drop what a blocked peer sends into an
 * existing chat (secret/blocked.ts: the relay cannot tell who sent a sealed envelope).
 *
 * The copy follows the relay: read again at every connect and on every `blocks` frame (a change on
 * another device of mine), and replaced by the answer of my own block or unblock. Blocking needs the
 * connection: offline it is refused with a clear word, nothing changes (not queued: a block must take
 * effect at the relay before anything else from that user is refused there).
 */
import { z } from '$lib/api/zod';
import { BlockedUser, BlockRes, BlocksRes } from '$lib/api/wire';
import type { CinderDB } from '$lib/store/db';
import type { WorkerEvent } from './protocol';
import { NetError, request } from './net';
import { CoreError } from './rpc/context';

export const BLOCKS_KEY = 'blocks';
const Stored = z.array(BlockedUser);

/** The stored list, the latest blocked first ([] when none, or when what is stored does not read back). */
export async function readBlocks(db: CinderDB): Promise<BlockedUser[]> {
  const r = Stored.safeParse((await db.meta.get(BLOCKS_KEY))?.value);
  return r.success ? r.data : [];
}

/** Whether I blocked user `userId` (as this device last heard from the relay). */
export const isBlocked = async (db: CinderDB, userId: string): Promise<boolean> => (await readBlocks(db)).some((u) => u.id === userId);

/** Stores the list `change` makes of the stored one; tells the pages when it changed. */
async function change(db: CinderDB, emit: (e: WorkerEvent) => void, fn: (list: BlockedUser[]) => BlockedUser[]): Promise<void> {
  const changed = await db.transaction('rw', db.meta, async () => {
    const before = await readBlocks(db);
    const after = fn(before);
    if (JSON.stringify(after) === JSON.stringify(before)) return false;
    await db.meta.put({ key: BLOCKS_KEY, value: after });
    return true;
  });
  if (changed) emit({ type: 'blocks' });
}

/** Reads the list from the relay and stores it (at connect, and when a `blocks` frame says it changed). */
export async function followBlocks(db: CinderDB, emit: (e: WorkerEvent) => void): Promise<void> {
  const { users } = await request('GET', '/api/blocks', undefined, BlocksRes);
  await change(db, emit, () => users);
}

/** followBlocks that never fails: a connect or a frame carries on without it (the next connect reads the list again). */
export const refreshBlocks = (db: CinderDB, emit: (e: WorkerEvent) => void): Promise<void> => followBlocks(db, emit).catch(() => undefined);

/** What a block or unblock says offline: nothing changed, and why. */
const needsConnection = (what: 'Blocking' | 'Unblocking') =>
  new CoreError('needs_connection', `${what} needs a connection to Cinder's server. Nothing changed: try again once you are online.`);

async function online<T>(what: 'Blocking' | 'Unblocking', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof NetError && e.code === 'offline') throw needsConnection(what);
    throw e;
  }
}

/** Blocks `userId` at the relay and keeps its answer first in the list. */
export async function blockUser(db: CinderDB, emit: (e: WorkerEvent) => void, userId: string): Promise<BlockedUser> {
  const { user } = await online('Blocking', () => request('PUT', `/api/blocks/${encodeURIComponent(userId)}`, undefined, BlockRes));
  await change(db, emit, (list) => [user, ...list.filter((u) => u.id !== user.id)]);
  return user;
}

/** Unblocks `userId` at the relay and drops it from the list. */
export async function unblockUser(db: CinderDB, emit: (e: WorkerEvent) => void, userId: string): Promise<void> {
  await online('Unblocking', () => request('DELETE', `/api/blocks/${encodeURIComponent(userId)}`, undefined, null));
  await change(db, emit, (list) => list.filter((u) => u.id !== userId));
}

/** What a cloud message refused because of a block says under its bubble (and in the notice). */
export const REFUSED_TEXT = {
  blocked: 'Not sent: this user blocked you.',
  you_blocked: 'Not sent: you blocked this user. Unblock them to write to them.'
} as const;
export type Refused = keyof typeof REFUSED_TEXT;
export const isRefusal = (code: unknown): code is Refused => code === 'blocked' || code === 'you_blocked';
