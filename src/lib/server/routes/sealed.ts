/**
 * Sealed addressing (protocol version 2): a device says which protocol it speaks, registers and drops
 * its receive mailboxes (authenticated), and anyone holding a mailbox's capability key posts an
 * envelope to it WITHOUT a session (`POST /api/sealed`). That route never reads the session cookie or
 * Authorization header, and logs nothing naming a device or user: the relay learns who receives, not
 * who sent.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  DeviceProtocolReq,
  DropMailboxesReq,
  LIMITS,
  MAILBOX_LIMITS,
  RegisterMailboxesReq,
  SealedPostReq,
  type Envelope,
  type RegisterMailboxesRes
} from '../../api/wire';
import { clientAddress } from '../auth';
import { envelopeAad } from '../envelope-aad';
import { HttpError, readJson } from '../http';
import { addressBucket } from '../ratelimit';
import { capMac, macEqual, mailboxAad } from '../sealed';
import type { MailboxRow } from '../store/types';
import { DAY_MS, json, limit, noContent, type RouteArea } from './shared';

/** Decodes a non-empty base64url envelope body of at most LIMITS.envelopeMax bytes (as /api/envelopes). */
export function envelopeBytes(body: string): Buffer {
  if (body.length === 0 || body.length % 4 === 1) throw new HttpError(400, 'bad_request', 'body: must be non-empty base64url');
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length > LIMITS.envelopeMax) throw new HttpError(413, 'too_large', `envelope body exceeds ${LIMITS.envelopeMax} bytes`);
  return bytes;
}

export const sealedRoutes: RouteArea = (router, deps, { requireAuth, checkOrigin }) => {
  const { config, store, atRest, bus, now } = deps;

  router.add('POST', '/api/devices/protocol', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { protocol } = await readJson(ctx.req, DeviceProtocolReq);
    if (!(await store.setDeviceProtocol(auth.device.id, protocol))) throw new HttpError(404, 'not_found', 'no such device');
    return noContent();
  });

  router.add('POST', '/api/mailboxes', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const { mailboxes } = await readJson(ctx.req, RegisterMailboxesReq);
    const t = now();
    const caps = new Map<string, Buffer>();
    const rows: MailboxRow[] = mailboxes.map((m, i) => {
      if (caps.has(m.id)) throw new HttpError(400, 'bad_request', `mailboxes.${i}.id: listed twice`);
      if (m.expiresAt <= t) throw new HttpError(400, 'bad_request', `mailboxes.${i}.expiresAt: must be in the future`);
      const cap = Buffer.from(m.cap, 'base64url');
      caps.set(m.id, cap);
      return {
        id: m.id,
        deviceId: auth.device.id,
        cap: atRest.seal(cap, mailboxAad(auth.device.id, m.id)),
        expiresAt: Math.min(m.expiresAt, t + MAILBOX_LIMITS.maxTtlMs)
      };
    });
    const sameCap = (id: string, stored: Buffer) => {
      try {
        return timingSafeEqual(atRest.open(stored, mailboxAad(auth.device.id, id)), caps.get(id)!);
      } catch {
        return false; // unreadable (another at-rest key): not provably the same key
      }
    };
    const r = await store.registerMailboxes(auth.device.id, rows, sameCap, t, MAILBOX_LIMITS.perDevice);
    if (!r.ok) throw new HttpError(409, 'conflict', `too many mailboxes (at most ${MAILBOX_LIMITS.perDevice} unexpired per device)`);
    // The others are registered: a peer that took one of this device's ids (it can derive them) must
    // not keep the device's other chats from registering theirs.
    return json({ conflicts: r.conflicts } satisfies RegisterMailboxesRes);
  });

  router.add('POST', '/api/mailboxes/drop', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { ids } = await readJson(ctx.req, DropMailboxesReq);
    await store.dropMailboxes(auth.device.id, ids);
    return noContent();
  });

  // No requireAuth, on purpose (see above).
  router.add('POST', '/api/sealed', async (ctx) => {
    checkOrigin(ctx);
    limit(deps.addressLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const post = await readJson(ctx.req, SealedPostReq);
    const bytes = envelopeBytes(post.body);
    // Before the look-up, so unknown ids cannot be probed faster than known ones.
    limit(deps.mailboxLimiter, post.mailbox);
    const t = now();
    const mailbox = await store.getMailbox(post.mailbox, t);
    if (!mailbox) throw new HttpError(404, 'not_found', 'no such mailbox');
    const cap = atRest.open(mailbox.cap, mailboxAad(mailbox.deviceId, mailbox.id));
    if (!macEqual(capMac(cap, post.id, bytes), Buffer.from(post.mac, 'base64url'))) throw new HttpError(403, 'forbidden', 'bad mailbox MAC');
    const to = mailbox.deviceId;
    const r = await store.putEnvelope({
      id: post.id,
      toDeviceId: to,
      fromDeviceId: null,
      fromUserId: null,
      mailbox: mailbox.id,
      body: atRest.seal(bytes, envelopeAad(to, post.id)),
      createdAt: t,
      expiresAt: t + config.envelopeTtlDays * DAY_MS,
      requestId: null
    });
    if (!r.ok) throw new HttpError(409, 'conflict', 'envelope id is already used by another sender or mailbox');
    if (r.created) {
      const { seq, id, createdAt } = r.envelope;
      const envelope: Envelope = { seq, id, fromDeviceId: null, fromUserId: null, body: bytes.toString('base64url'), createdAt, requestId: null, mailbox: mailbox.id };
      // As in ./envelopes.ts: `prev` lets a device that handled the queue up to it take this one from the frame.
      const prev = r.prev ?? (await store.envelopeBefore(to, seq));
      bus.publish({ to: 'device', deviceId: to, frame: { t: 'envelope', envelope, prev } });
    }
    return json({ seq: r.envelope.seq });
  });
};
