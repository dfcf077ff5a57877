/** The signed-in account: its profile (/api/me) and its devices (list, sign one out, sign out the others). */
import { Id, RenameDeviceReq, UpdateProfileReq, type DeviceInfo, type SignedOutRes } from '../../api/wire';
import { clearCookie, isSecure } from '../auth';
import { HttpError, readJson } from '../http';
import { json, noContent, param, session, type RouteArea } from './shared';

export const accountRoutes: RouteArea = (router, deps, { requireAuth, revoke, revoked }) => {
  const { config, store, now } = deps;

  router.add('GET', '/api/me', async (ctx) => {
    const auth = await requireAuth(ctx);
    // Fresh from the store: the cached row may predate a rename made through another node.
    return json(session((await store.getUser(auth.user.id)) ?? auth.user, auth.device));
  });

  router.add('PATCH', '/api/me', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { displayName } = await readJson(ctx.req, UpdateProfileReq);
    await store.setDisplayName(auth.user.id, displayName);
    deps.sessions.forgetUser(auth.user.id);
    // Those I chat with see the new name live (a 'profile' update in their logs), as for a photo.
    await deps.cloud.publish(await store.announceProfile(auth.user.id));
    return json(session({ ...((await store.getUser(auth.user.id)) ?? auth.user), displayName }, auth.device));
  });

  router.add('GET', '/api/devices', async (ctx) => {
    const auth = await requireAuth(ctx);
    const devices: DeviceInfo[] = (await store.listDevices(auth.user.id)).map((d) => ({
      id: d.id,
      name: d.name,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt,
      current: d.id === auth.device.id
    }));
    return json({ devices });
  });

  // Only the caller's own live devices: another user's id is "not found", as for sign-out.
  router.add('PATCH', '/api/devices/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const id = param(ctx, 'id', Id);
    const { name } = await readJson(ctx.req, RenameDeviceReq);
    if (!(await store.renameDevice(auth.user.id, id, name))) throw new HttpError(404, 'not_found', 'no such device');
    deps.sessions.forgetDevice(id);
    const d = await store.getDevice(id);
    if (!d) throw new HttpError(404, 'not_found', 'no such device');
    const device: DeviceInfo = { id: d.id, name: d.name, createdAt: d.createdAt, lastSeenAt: d.lastSeenAt, current: d.id === auth.device.id };
    return json({ device });
  });

  router.add('DELETE', '/api/devices/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const id = param(ctx, 'id', Id);
    if (!(await revoke(auth, id))) throw new HttpError(404, 'not_found', 'no such device');
    const self = id === auth.device.id;
    return noContent(self ? { 'set-cookie': clearCookie(isSecure(ctx.req, config.trustProxy)) } : undefined);
  });

  router.add('POST', '/api/devices/revoke-others', async (ctx) => {
    const auth = await requireAuth(ctx);
    const gone = await store.revokeOtherDevices(auth.user.id, auth.device.id, now());
    revoked(auth.user.id, gone, 'signed out elsewhere');
    const res: SignedOutRes = { signedOut: gone.length };
    return json(res);
  });
};
