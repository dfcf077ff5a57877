/**
 * Every RPC method's handler, gathered from the area files, and the one entry that validates a
 * call's params against the method table (./methods) before its handler runs.
 */
import { accountHandlers } from './account';
import { accountDeleteHandlers } from './account-delete';
import { blocksHandlers } from './blocks';
import { chatSettingsHandlers } from './chat-settings';
import { chatsHandlers } from './chats';
import { cloudHandlers } from './cloud';
import { cloudClearHandlers } from './cloud-clear';
import { draftsHandlers } from './drafts';
import { forwardHandlers } from './forward';
import type { CoreContext, Handlers } from './context';
import { mediaHandlers } from './media';
import { openingHandlers } from './opening';
import { parseParams, type Method, type Result } from './methods';
import { passcodeHandlers } from './passcode';
import { photosHandlers } from './photos';
import { pinsHandlers } from './pins';
import { prefsHandlers } from './prefs';
import { presenceHandlers } from './presence';
import { pushHandlers } from './push';
import { scheduledHandlers } from './scheduled';
import { searchHandlers } from './search';
import { searchAllHandlers } from './search-all';
import { secretHandlers } from './secret';
import { sessionHandlers } from './session';
import { syncHandlers } from './sync';
import { verificationHandlers } from './verification';

export const HANDLERS: Handlers<Method> = {
  ...sessionHandlers,
  ...passcodeHandlers,
  ...accountHandlers,
  ...accountDeleteHandlers,
  ...chatsHandlers,
  ...chatSettingsHandlers,
  ...cloudHandlers,
  ...cloudClearHandlers,
  ...scheduledHandlers,
  ...forwardHandlers,
  ...syncHandlers,
  ...secretHandlers,
  ...verificationHandlers,
  ...mediaHandlers,
  ...pushHandlers,
  ...prefsHandlers,
  ...draftsHandlers,
  ...searchHandlers,
  ...searchAllHandlers,
  ...openingHandlers,
  ...pinsHandlers,
  ...blocksHandlers,
  ...photosHandlers,
  ...presenceHandlers
};

/** Runs `method` with `params` validated by its schema (a ZodError, answered as bad_request, if they don't fit). */
export async function dispatch<M extends Method>(ctx: CoreContext, method: M, params: unknown): Promise<Result<M>> {
  const handler = HANDLERS[method] as (ctx: CoreContext, p: unknown) => Promise<Result<M>>;
  return handler(ctx, parseParams(method, params));
}
