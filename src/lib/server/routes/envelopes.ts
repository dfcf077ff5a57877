/**
 * Secret-chat envelopes (sealed at rest, queued per recipient device, pushed live over the bus) and the
 * secret-chat requests they may carry (claim, withdraw).
 */
import { AckReq, LIMITS, SecretRequestReq, SendEnvelopeReq, type Envelope } from '../../api/wire';
import { refuseBlocked } from '../blocks';
import { envelopeAad } from '../envelope-aad';
import { HttpError, queryInt, readJson } from '../http';
import type { EnvelopeRow } from '../store/types';
import { envelopeBytes } from './sealed';
import { compressibleJson, DAY_MS, json, limit, noContent, type RouteArea } from './shared';

export const envelopeRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { config, store, log, bus, atRest, now } = deps;

  const openEnvelope = (e: EnvelopeRow): Envelope => ({
    seq: e.seq,
    id: e.id,
    fromDeviceId: e.fromDeviceId,
    fromUserId: e.fromUserId,
    body: atRest.open(e.body, envelopeAad(e.toDeviceId, e.id)).toString('base64url'),
    createdAt: e.createdAt,
    requestId: e.requestId,
    ...(e.notice ? { notice: e.notice } : {}),
    ...(e.mailbox ? { mailbox: e.mailbox } : {})
  });

  /**
   * Pairs already recorded as secret-chat contacts by this node (store.noteSecretContact), so a chat's
   * traffic writes its pair once, not once per envelope. Bounded: cleared when full (then rewritten).
   */
  const noted = new Set<string>();
  const noteContact = async (a: string, b: string) => {
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    if (noted.has(key)) return;
    await store.noteSecretContact(a, b, now());
    if (noted.size >= 50_000) noted.clear();
    noted.add(key);
  };

  router.add('POST', '/api/envelopes', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const body = await readJson(ctx.req, SendEnvelopeReq);
    const bytes = envelopeBytes(body.body);
    const to = await deps.sessions.device(body.toDeviceId);
    if (!to || to.revokedAt !== null) throw new HttpError(404, 'not_found', 'no such device');
    const t = now();
    const requestId = body.requestId ?? null;
    // A secret-chat request (a handshake's first message) to someone who blocked me, or whom I blocked,
    // goes nowhere (../blocks.ts). The rest of a chat's envelopes are the blocker's device's to drop.
    if (requestId !== null) await refuseBlocked(store, auth.user.id, to.userId);
    const r = await store.putEnvelope(
      {
        id: body.id,
        toDeviceId: to.id,
        fromDeviceId: auth.device.id,
        fromUserId: auth.user.id,
        body: atRest.seal(bytes, envelopeAad(to.id, body.id)),
        createdAt: t,
        expiresAt: t + config.envelopeTtlDays * DAY_MS,
        requestId
      },
      requestId === null ? undefined : { toUserId: to.userId }
    );
    if (!r.ok) {
      switch (r.reason) {
        case 'id_conflict':
          throw new HttpError(409, 'conflict', 'envelope id is already used by another sender or request');
        case 'request_conflict':
          throw new HttpError(409, 'conflict', 'requestId belongs to another sender device or another user');
        case 'request_gone':
          throw new HttpError(410, 'gone', 'the request was already claimed or withdrawn');
      }
    }
    // Who to tell if either account is deleted (accounts.ts); a pair the relay sees anyway, kept until then.
    // (Sealed posts, ./sealed.ts, record nothing: the pair was noted by the handshake's envelopes.)
    await noteContact(auth.device.id, to.id);
    if (r.created) {
      // From the bytes in hand (canonical base64url, as a later GET would give); no need to open what was just sealed.
      const { seq, id, fromDeviceId, fromUserId, createdAt } = r.envelope;
      const envelope: Envelope = { seq, id, fromDeviceId, fromUserId, body: bytes.toString('base64url'), createdAt, requestId };
      // What was queued before it: a device that handled up to `prev` takes this one from the frame, not a pull.
      const prev = r.prev ?? (await store.envelopeBefore(to.id, seq));
      bus.publish({ to: 'device', deviceId: to.id, frame: { t: 'envelope', envelope, prev } });
    }
    return json({ seq: r.envelope.seq });
  });

  router.add('GET', '/api/envelopes', async (ctx) => {
    const auth = await requireAuth(ctx);
    const after = queryInt(ctx.url, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, def: 0 });
    const n = queryInt(ctx.url, 'limit', { min: 1, max: LIMITS.envelopePageMax, def: LIMITS.pageMax });
    const rows = await store.listEnvelopes(auth.device.id, after, n, now());
    const page = withinBytes(rows, LIMITS.envelopePageBytes);
    // Ciphertext: compressing it cannot reveal plaintext.
    return compressibleJson({ envelopes: page.map(openEnvelope), ...(page.length < rows.length ? { more: true } : {}) });
  });

  router.add('POST', '/api/envelopes/ack', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { upTo } = await readJson(ctx.req, AckReq);
    await store.ackEnvelopes(auth.device.id, upTo);
    return noContent();
  });

  // ---------- secret-chat requests ----------
  router.add('POST', '/api/secret/claim', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { requestId } = await readJson(ctx.req, SecretRequestReq);
    const r = await store.claimSecretRequest(requestId, auth.user.id, auth.device.id, now());
    switch (r) {
      case 'claimed':
        log.debug('secret request claimed', { requestId, deviceId: auth.device.id });
        return noContent();
      case 'already':
        return noContent();
      case 'conflict':
        throw new HttpError(409, 'conflict', 'another device already claimed this request');
      case 'gone':
        throw new HttpError(410, 'gone', 'the request was withdrawn');
      case 'not_found':
        throw new HttpError(404, 'not_found', 'no such request');
    }
  });

  router.add('POST', '/api/secret/withdraw', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { requestId } = await readJson(ctx.req, SecretRequestReq);
    if (!(await store.withdrawSecretRequest(requestId, auth.device.id, now()))) {
      throw new HttpError(404, 'not_found', 'no such request');
    }
    return noContent();
  });
};

/** The first rows whose bodies (as stored) fit in `budget` bytes, at least one: a page of large envelopes stays a bounded response. */
export function withinBytes<T extends { body: Uint8Array }>(rows: T[], budget: number): T[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rows[i]!.body.length;
    if (bytes > budget && i > 0) return rows.slice(0, i);
  }
  return rows;
}
