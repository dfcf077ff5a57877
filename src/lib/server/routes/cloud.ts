/** Cloud chats: send, the chat list, history pages, read marks, deletes, edits, reactions, my own chat settings, and the update-log sync. */
import { ChatSettingsReq, DeleteCloudReq, EditCloudReq, Id, LIMITS, ReactCloudReq, ReadReq, SendCloudReq } from '../../api/wire';
import { queryInt, readJson } from '../http';
import { json, limit, noContent, param, type RouteArea } from './shared';

export const cloudRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { cloud } = deps;

  router.add('POST', '/api/cloud/messages', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const body = await readJson(ctx.req, SendCloudReq);
    const message = await cloud.send(auth.user.id, auth.device.id, body);
    return json({ message });
  });

  router.add('GET', '/api/cloud/chats', async (ctx) => {
    const auth = await requireAuth(ctx);
    return json({ chats: await cloud.chats(auth.user.id) });
  });

  router.add('GET', '/api/cloud/chats/:peerId/messages', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const before = queryInt(ctx.url, 'before', { min: 1, max: Number.MAX_SAFE_INTEGER, def: null });
    const n = queryInt(ctx.url, 'limit', { min: 1, max: LIMITS.pageMax, def: 50 });
    return json({ messages: await cloud.history(auth.user.id, peerId, before, n) });
  });

  router.add('POST', '/api/cloud/chats/:peerId/read', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const { seq } = await readJson(ctx.req, ReadReq);
    await cloud.read(auth.user.id, peerId, seq);
    return noContent();
  });

  router.add('POST', '/api/cloud/chats/:peerId/delete', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const { ids } = await readJson(ctx.req, DeleteCloudReq);
    await cloud.remove(auth.user.id, peerId, ids);
    return noContent();
  });

  router.add('POST', '/api/cloud/chats/:peerId/edit', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const peerId = param(ctx, 'peerId', Id);
    const { id, text } = await readJson(ctx.req, EditCloudReq);
    await cloud.edit(auth.user.id, peerId, id, text);
    return noContent();
  });

  router.add('POST', '/api/cloud/chats/:peerId/react', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const peerId = param(ctx, 'peerId', Id);
    const { id, emoji } = await readJson(ctx.req, ReactCloudReq);
    await cloud.react(auth.user.id, peerId, id, emoji);
    return noContent();
  });

  router.add('PUT', '/api/cloud/chats/:peerId/settings', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const change = await readJson(ctx.req, ChatSettingsReq);
    return json({ settings: await cloud.settings(auth.user.id, peerId, change) });
  });

  router.add('GET', '/api/sync', async (ctx) => {
    const auth = await requireAuth(ctx);
    const after = queryInt(ctx.url, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, def: 0 });
    const n = queryInt(ctx.url, 'limit', { min: 1, max: LIMITS.syncPageMax, def: 200 });
    return json(await cloud.sync(auth.user.id, after, n));
  });
};
