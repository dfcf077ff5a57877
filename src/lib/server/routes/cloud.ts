/** Cloud chats: send, forward, the chat list, history pages, read marks, deletes, edits, reactions, pinned messages, my own chat settings, and the update-log sync. */
import {
  ChatSettingsReq,
  ClearCloudReq,
  DeleteCloudReq,
  EditCloudReq,
  ForwardCloudReq,
  Id,
  LIMITS,
  PinCloudReq,
  ReactCloudReq,
  ReadReq,
  SendCloudReq
} from '../../api/wire';
import { createForward } from '../cloud-forward';
import { createCloudPins } from '../cloud-pins';
import type { z } from '$lib/api/zod';
import { queryInt, readJson } from '../http';
import { json, limit, noContent, param, type RouteArea } from './shared';

export const cloudRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { cloud, config } = deps;
  const forwarder = createForward({
    ...deps,
    quotaBytes: config.cloudMediaQuotaBytes,
    maxBlobBytes: config.maxBlobBytes
  });
  const pins = createCloudPins({ store: deps.store, now: deps.now, publish: cloud.publish });

  router.add('POST', '/api/cloud/messages', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const body = await readJson(ctx.req, SendCloudReq);
    const message = await cloud.send(auth.user.id, auth.device.id, body);
    return json({ message });
  });

  router.add('POST', '/api/cloud/forward', async (ctx) => {
    const auth = await requireAuth(ctx);
    const body = await readJson(ctx.req, ForwardCloudReq);
    // Each copy is a message sent: it costs what a send does, up to a whole burst (a larger forward could never pass).
    limit(deps.sendLimiter, auth.device.id, Math.min(body.ids.length, config.sendRateBurst));
    return json({ messages: await forwarder.forward(auth.user.id, auth.device.id, body) });
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

  /**
   * A change to one chat, `POST /api/cloud/chats/:peerId/<action>`: its body checked against `schema`,
   * applied by `apply`, answered with 204. `limited`: it counts against the device's send limit (it
   * reaches the peer as a new update, as a message does).
   */
  const chatChange = <S extends z.ZodMiniType>(action: string, schema: S, apply: (me: string, peerId: string, body: z.output<S>) => Promise<unknown>, limited = false) =>
    router.add('POST', `/api/cloud/chats/:peerId/${action}`, async (ctx) => {
      const auth = await requireAuth(ctx);
      if (limited) limit(deps.sendLimiter, auth.device.id);
      const peerId = param(ctx, 'peerId', Id);
      await apply(auth.user.id, peerId, await readJson(ctx.req, schema));
      return noContent();
    });

  chatChange('read', ReadReq, (me, peerId, { seq }) => cloud.read(me, peerId, seq));
  chatChange('delete', DeleteCloudReq, (me, peerId, { ids }) => cloud.remove(me, peerId, ids));
  chatChange('clear', ClearCloudReq, (me, peerId, body) => cloud.clear(me, peerId, body));
  chatChange('edit', EditCloudReq, (me, peerId, { id, text }) => cloud.edit(me, peerId, id, text), true);
  chatChange('react', ReactCloudReq, (me, peerId, { id, emoji }) => cloud.react(me, peerId, id, emoji), true);
  chatChange('pin', PinCloudReq, (me, peerId, { id, pinned }) => pins.pin(me, peerId, id, pinned), true);

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
