/** Starting the app, signing up, signing in and out. */
import { NetError, request } from '../net';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'ready' | 'session' | 'connection' | 'unlocked' | 'confirmSession' | 'register' | 'secret' | 'wipe'>;

export const sessionHandlers: Handlers<'init' | 'signup' | 'login' | 'logout', Ctx> = {
  init: async (ctx) => {
    // `ready` (awaited by every call) already purged what expired while the app was closed.
    await ctx.ready;
    const hasPasscode = !!(await ctx.db.vault.get('main'))?.wrapped;
    // Confirms the device is still valid; offline keeps the cached session.
    ctx.confirmSession();
    return { session: ctx.session, connection: ctx.connection, locked: !ctx.unlocked, hasPasscode };
  },

  signup: async (ctx, body) => {
    await ctx.ready;
    return ctx.register('/api/auth/signup', body);
  },

  login: async (ctx, body) => {
    await ctx.ready;
    return ctx.register('/api/auth/login', body);
  },

  logout: async (ctx) => {
    // Each peer learns that its secret chat with this device is cancelled before the keys go.
    // (Locked: the keys are out of reach, so the peers cannot be told; their chats stay open.)
    if (ctx.unlocked)
      await ctx
        .secret()
        .then((engine) => engine.cancelAll())
        .catch(() => undefined);
    try {
      await request('POST', '/api/auth/logout', {}, null);
    } catch (e) {
      // Offline: this device is wiped anyway; it can be revoked later from another device.
      if (!(e instanceof NetError) || e.code !== 'offline') throw e;
    }
    await ctx.wipe('logout');
    return null;
  }
};
