/**
 * My blocked users, as the worker holds them (offline too): read when the app opens and again on every
 * change (BlocksWatch), shared by the profile, both chat screens and Settings. Blocking and unblocking
 * go through the worker to the relay (online only: the worker says so in words otherwise).
 */
import { core, errorMessage } from '$lib/worker/client';
import type { BlockedUserView } from '$lib/worker/protocol';

/** Null until the first read. */
export const blocks = $state<{ users: BlockedUserView[] | null }>({ users: null });

/** Whether `userId` is in the list as last read. */
export const inBlockList = (users: readonly Pick<BlockedUserView, 'id'>[] | null, userId: string | undefined): boolean =>
  !!userId && !!users?.some((u) => u.id === userId);

/** Reads the list again (a failed read keeps the one shown). */
export async function readBlocks(): Promise<void> {
  const users = await core()
    .call('blockedUsers', {})
    .catch(() => null);
  if (users) blocks.users = users;
}

/** Blocks `userId`; shown at once from the relay's answer (the worker's event reads the list again too). */
export async function blockUser(userId: string): Promise<void> {
  const user = await core().call('blockUser', { userId });
  blocks.users = [user, ...(blocks.users ?? []).filter((u) => u.id !== user.id)];
}

export async function unblockUser(userId: string): Promise<void> {
  await core().call('unblockUser', { userId });
  blocks.users = (blocks.users ?? []).filter((u) => u.id !== userId);
}

/** An Unblock button's press: `busy` while it runs, and the refusal in words for `error` (cleared first). */
export async function unblockPressed(userId: string, show: { busy: (on: boolean) => void; error: (text: string | null) => void }): Promise<void> {
  show.busy(true);
  show.error(null);
  try {
    await unblockUser(userId);
  } catch (e) {
    show.error(errorMessage(e));
  } finally {
    show.busy(false);
  }
}

/** A menu's Block / Unblock: Block asks first (`ask`: the page's BlockConfirm), Unblock at once (a refusal said by `failed`). */
export function toggleBlock(user: { id: string; displayName: string }, ask: (u: { id: string; displayName: string }) => void, failed: (error: string) => void): void {
  if (!inBlockList(blocks.users, user.id)) return ask({ id: user.id, displayName: user.displayName });
  unblockUser(user.id).catch((e: unknown) => failed(errorMessage(e)));
}

/** What blocking does, as the confirmation says it before anything happens. */
export const blockWarning = (name: string) =>
  `${name} will not be able to message you, start a secret chat with you or see you typing, and you cannot write to them until you unblock them. ` +
  'They see that you blocked them if they try to write to you. Your chat history stays; you can unblock them any time in Settings.';
