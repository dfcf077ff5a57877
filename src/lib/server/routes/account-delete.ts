/**
 * Deleting the account (password and the username typed again) and its "delete my account if away for
 * N months" option. The deletion itself, with its fan-out to every node, is ../accounts.ts.
 */
import { AutoDeleteReq, DeleteAccountReq } from '../../api/wire';
import { clearCookie, clientAddress, isSecure } from '../auth';
import { HttpError, readJson } from '../http';
import { addressBucket } from '../ratelimit';
import { loginKey } from '../throttle';
import { json, limit, noContent, takeAttempt, type RouteArea } from './shared';

export const accountDeleteRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { config, store } = deps;

  // Counted like a sign-in, even from a known device: a stolen session must not get free guesses.
  router.add('POST', '/api/account/delete', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, DeleteAccountReq);
    // Fresh from the store: the cached row may hold a hash another node has replaced.
    const user = await store.getUser(auth.user.id);
    if (!user || user.deletedAt != null) throw new HttpError(401, 'unauthorized', 'sign in required');
    // Checked before the password, so a slip of the keyboard costs no sign-in attempt.
    if (body.confirm.trim().toLowerCase() !== user.username) {
      throw new HttpError(400, 'bad_request', 'confirm: type your username exactly to confirm the deletion');
    }
    const key = loginKey(user.username);
    await takeAttempt(deps, key);
    if (!(await deps.passwords.verify(body.password, user.pwHash))) {
      throw new HttpError(403, 'bad_credentials', 'the password is wrong');
    }
    await store.clearLoginAttempts(key);
    await deps.accounts.delete(user.id, 'requested');
    return noContent({ 'set-cookie': clearCookie(isSecure(ctx.req, config.trustProxy)) });
  });

  router.add('GET', '/api/account/auto-delete', async (ctx) => {
    const auth = await requireAuth(ctx);
    const res: AutoDeleteReq = { months: await store.getAutoDelete(auth.user.id) };
    return json(res);
  });

  router.add('PUT', '/api/account/auto-delete', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { months } = await readJson(ctx.req, AutoDeleteReq);
    await store.setAutoDelete(auth.user.id, months);
    const res: AutoDeleteReq = { months };
    return json(res);
  });
};
