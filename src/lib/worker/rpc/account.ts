/** The account: profile, password and the devices signed in to it. */
import { z } from '$lib/api/zod';
import { DeviceInfo, Session, SignedOutRes } from '$lib/api/wire';
import { request } from '../net';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'setSession'>;

export const accountHandlers: Handlers<'updateProfile' | 'listDevices' | 'revokeDevice' | 'renameDevice' | 'changePassword' | 'revokeOtherDevices', Ctx> = {
  updateProfile: async (ctx, body) => {
    const s = await request('PATCH', '/api/me', body, Session);
    await ctx.setSession(s);
    return s;
  },

  listDevices: async () => (await request('GET', '/api/devices', undefined, z.object({ devices: z.array(DeviceInfo) }))).devices,

  revokeDevice: async (_ctx, { id }) => {
    await request('DELETE', `/api/devices/${encodeURIComponent(id)}`, undefined, null);
    return null;
  },

  // The relay trims and validates the name (RenameDeviceReq); its 400 names what is wrong.
  renameDevice: async (_ctx, { id, name }) => (await request('PATCH', `/api/devices/${encodeURIComponent(id)}`, { name }, z.object({ device: DeviceInfo }))).device,

  changePassword: async (_ctx, body) => request('POST', '/api/auth/password', body, SignedOutRes),

  revokeOtherDevices: async () => request('POST', '/api/devices/revoke-others', {}, SignedOutRes)
};
