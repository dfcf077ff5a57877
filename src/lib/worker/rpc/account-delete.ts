/** Deleting the account (then this device is wiped, as at logout) and its "delete if away" option. */
import { AutoDeleteReq } from '$lib/api/wire';
import { request } from '../net';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'wipe'>;

export const accountDeleteHandlers: Handlers<'deleteAccount' | 'getAutoDelete' | 'setAutoDelete', Ctx> = {
  deleteAccount: async (ctx, body) => {
    // No in-band "ended" to the secret-chat peers first: the password is only checked by this request,
    // and a wrong one must not end any chat. The relay tells each peer device itself (a notice).
    await request('POST', '/api/account/delete', body, null);
    // The relay also revoked this device (its socket may already have wiped it): wipe, as at logout.
    await ctx.wipe('logout');
    return null;
  },

  getAutoDelete: async () => request('GET', '/api/account/auto-delete', undefined, AutoDeleteReq),

  setAutoDelete: async (_ctx, body) => request('PUT', '/api/account/auto-delete', body, AutoDeleteReq)
};
