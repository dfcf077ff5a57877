/** The passcode lock: locking, unlocking, setting and removing the passcode. */
import { receiveHeld } from '../locked-inbox';
import { removePasscode, setPasscode, unlockVault } from '$lib/store/passcode';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'session' | 'emit' | 'lock' | 'lockOtherTabs' | 'useVault' | 'replaceVault' | 'secret' | 'startRelay'>;

export const passcodeHandlers: Handlers<'lock' | 'unlock' | 'setPasscode' | 'removePasscode', Ctx> = {
  lock: async (ctx) => {
    if (!(await ctx.db.vault.get('main'))?.wrapped) throw new CoreError('no_passcode', 'Set a passcode first');
    ctx.lock();
    ctx.emit({ type: 'lock', locked: true, hasPasscode: true });
    ctx.lockOtherTabs();
    return null;
  },

  unlock: async (ctx, { passcode }) => {
    ctx.useVault(await unlockVault(ctx.db, passcode));
    ctx.emit({ type: 'lock', locked: false, hasPasscode: true });
    // What the service worker kept (undecrypted) while we were locked is handled first; the relay
    // starts even if that fails (a pull takes held envelopes first anyway).
    try {
      await receiveHeld(ctx.db, ctx.secret);
    } finally {
      if (ctx.session) ctx.startRelay();
    }
    return null;
  },

  setPasscode: async (ctx, { passcode }) => {
    const current = ctx.vault;
    await ctx.replaceVault(() => setPasscode(ctx.db, current, passcode));
    ctx.emit({ type: 'lock', locked: false, hasPasscode: true });
    return null;
  },

  removePasscode: async (ctx) => {
    const current = ctx.vault;
    await ctx.replaceVault(() => removePasscode(ctx.db, current));
    ctx.emit({ type: 'lock', locked: false, hasPasscode: false });
    return null;
  }
};
