/**
 * SQLite: secret-chat envelopes (group-committed) and the secret-chat requests they carry. One module
 * because a request envelope creates or checks its request row in the envelope's own transaction.
 */
import { sameEnvelopeOrigin, toEnvelope, toSecretRequest } from '../rows';
import type { ClaimResult, EnvelopeRequestCtx, EnvelopeStore, NewEnvelope, PutEnvelopeResult, SecretRequestStore } from '../types';
import { all, get, type Db } from './db';

export function sqliteEnvelopes(db: Db): EnvelopeStore & SecretRequestStore {
  const q = {
    envelopeByKey: db.prepare('SELECT * FROM envelopes WHERE to_device_id = ? AND id = ?'),
    insertEnvelope: db.prepare(
      `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id, mailbox)
       VALUES (@id, @toDeviceId, @fromDeviceId, @fromUserId, @body, @createdAt, @expiresAt, @requestId, @mailbox)`
    ),
    // The common case in one statement: a fresh id inserts, a repeated one returns no row.
    insertEnvelopeIfNew: db.prepare(
      `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id, mailbox)
       VALUES (@id, @toDeviceId, @fromDeviceId, @fromUserId, @body, @createdAt, @expiresAt, @requestId, @mailbox)
       ON CONFLICT (to_device_id, id) DO NOTHING RETURNING seq`
    ),
    envelopesAfter: db.prepare('SELECT * FROM envelopes WHERE to_device_id = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?'),
    countEnvelopes: db.prepare('SELECT count(*) AS n FROM envelopes WHERE to_device_id = ? AND expires_at > ?'),
    envelopeBefore: db.prepare('SELECT max(seq) AS seq FROM envelopes WHERE to_device_id = ? AND seq < ?'),
    ackEnvelopes: db.prepare('DELETE FROM envelopes WHERE to_device_id = ? AND seq <= ?'),
    purgeEnvelopes: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),

    requestById: db.prepare('SELECT * FROM secret_requests WHERE id = ?'),
    insertRequest: db.prepare(
      `INSERT INTO secret_requests (id, from_device_id, to_user_id, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?)`
    ),
    // An expired record the purge has not reached yet is unknown: a new request takes its id over.
    renewRequest: db.prepare(
      `UPDATE secret_requests SET from_device_id = ?, to_user_id = ?, claimed_by_device_id = NULL, withdrawn = 0, created_at = ?, expires_at = ?
       WHERE id = ?`
    ),
    extendRequest: db.prepare('UPDATE secret_requests SET expires_at = max(expires_at, ?) WHERE id = ?'),
    claimRequest: db.prepare('UPDATE secret_requests SET claimed_by_device_id = ? WHERE id = ? AND claimed_by_device_id IS NULL'),
    withdrawRequest: db.prepare('UPDATE secret_requests SET withdrawn = 1 WHERE id = ?'),
    dropRequestEnvelopesExcept: db.prepare('DELETE FROM envelopes WHERE request_id = ? AND to_device_id <> ?'),
    dropRequestEnvelopes: db.prepare('DELETE FROM envelopes WHERE request_id = ?'),
    purgeRequests: db.prepare('DELETE FROM secret_requests WHERE expires_at <= ?')
  };

  // Named parameters must all be present; `mailbox` is optional on NewEnvelope.
  const params = (e: NewEnvelope) => ({ ...e, mailbox: e.mailbox ?? null });
  /** envelopeBefore, inside the writing transaction (one writer: nothing can slip in before `seq`). */
  const prevOf = (deviceId: string, seq: number) => (get(q.envelopeBefore, deviceId, seq)?.seq as number | null) ?? 0;

  const putEnvelopeTx = db.transaction((e: NewEnvelope, request?: EnvelopeRequestCtx): PutEnvelopeResult => {
    const existing = get(q.envelopeByKey, e.toDeviceId, e.id);
    if (existing) {
      const env = toEnvelope(existing);
      return sameEnvelopeOrigin(env, e) ? { ok: true, created: false, envelope: env } : { ok: false, reason: 'id_conflict' };
    }
    if (e.requestId !== null) {
      if (!request) throw new Error('putEnvelope: a request envelope needs its target user');
      const r = get(q.requestById, e.requestId);
      if (!r) {
        q.insertRequest.run(e.requestId, e.fromDeviceId, request.toUserId, e.createdAt, e.expiresAt);
      } else if ((r.expires_at as number) <= e.createdAt) {
        q.renewRequest.run(e.fromDeviceId, request.toUserId, e.createdAt, e.expiresAt, e.requestId);
      } else {
        const req = toSecretRequest(r);
        if (req.fromDeviceId !== e.fromDeviceId || req.toUserId !== request.toUserId) {
          return { ok: false, reason: 'request_conflict' };
        }
        if (req.withdrawn || req.claimedByDeviceId !== null) return { ok: false, reason: 'request_gone' };
        q.extendRequest.run(e.expiresAt, e.requestId);
      }
    }
    const seq = Number(q.insertEnvelope.run(params(e)).lastInsertRowid);
    return { ok: true, created: true, envelope: { ...e, seq }, prev: prevOf(e.toDeviceId, seq) };
  });

  /**
   * Group commit: envelopes posted in the same turn of the event loop are written in ONE transaction
   * (each in its own savepoint, so one bad envelope fails alone). Every caller still gets its answer
   * only after the commit, so an acknowledged envelope is durable; the saving is one WAL commit per
   * burst instead of one per message.
   */
  type Pending = { e: NewEnvelope; request?: EnvelopeRequestCtx; resolve: (r: PutEnvelopeResult) => void; reject: (err: unknown) => void };
  let pending: Pending[] = [];
  /** Without a request there is only one write, which is atomic by itself: no savepoint needed. */
  const putPlainEnvelope = (e: NewEnvelope): PutEnvelopeResult => {
    const r = get(q.insertEnvelopeIfNew, params(e));
    if (r) return { ok: true, created: true, envelope: { ...e, seq: r.seq as number }, prev: prevOf(e.toDeviceId, r.seq as number) };
    const env = toEnvelope(get(q.envelopeByKey, e.toDeviceId, e.id)!);
    return sameEnvelopeOrigin(env, e) ? { ok: true, created: false, envelope: env } : { ok: false, reason: 'id_conflict' };
  };
  const commitBatch = db.transaction((items: Pending[]) =>
    items.map((it) => {
      try {
        const value = it.e.requestId === null ? putPlainEnvelope(it.e) : putEnvelopeTx(it.e, it.request);
        return { ok: true as const, value };
      } catch (err) {
        return { ok: false as const, err };
      }
    })
  );
  const runBatch = () => {
    const items = pending;
    pending = [];
    try {
      const results = commitBatch(items);
      results.forEach((r, i) => (r.ok ? items[i].resolve(r.value) : items[i].reject(r.err)));
    } catch (err) {
      for (const it of items) it.reject(err);
    }
  };
  const groupCommit = (e: NewEnvelope, request?: EnvelopeRequestCtx) =>
    new Promise<PutEnvelopeResult>((resolve, reject) => {
      pending.push({ e, request, resolve, reject });
      if (pending.length === 1) setImmediate(runBatch);
    });

  const purgeEnvelopesTx = db.transaction((now: number): number => {
    const n = q.purgeEnvelopes.run(now).changes;
    q.purgeRequests.run(now);
    return n;
  });

  /** The request row unless missing or expired (expired ones linger until the hourly purge). */
  const liveRequest = (id: string, now: number) => {
    const r = get(q.requestById, id);
    return r && (r.expires_at as number) > now ? r : undefined;
  };

  const claimTx = db.transaction((id: string, userId: string, deviceId: string, now: number): ClaimResult => {
    const r = liveRequest(id, now);
    if (!r) return 'not_found';
    const req = toSecretRequest(r);
    if (req.toUserId !== userId) return 'not_found';
    if (req.withdrawn) return 'gone';
    if (req.claimedByDeviceId !== null) return req.claimedByDeviceId === deviceId ? 'already' : 'conflict';
    q.claimRequest.run(deviceId, id);
    q.dropRequestEnvelopesExcept.run(id, deviceId);
    return 'claimed';
  });

  const withdrawTx = db.transaction((id: string, fromDeviceId: string, now: number): boolean => {
    const r = liveRequest(id, now);
    if (!r || (r.from_device_id as string) !== fromDeviceId) return false;
    q.withdrawRequest.run(id);
    q.dropRequestEnvelopes.run(id);
    return true;
  });

  return {
    putEnvelope(e, request) {
      return groupCommit(e, request);
    },
    async listEnvelopes(deviceId, after, limit, now) {
      return all(q.envelopesAfter, deviceId, after, now, limit).map(toEnvelope);
    },
    async countEnvelopes(deviceId, now) {
      return get(q.countEnvelopes, deviceId, now)!.n as number;
    },
    async envelopeBefore(deviceId, seq) {
      return prevOf(deviceId, seq);
    },
    async ackEnvelopes(deviceId, upTo) {
      return q.ackEnvelopes.run(deviceId, upTo).changes;
    },
    async purgeExpiredEnvelopes(now) {
      return purgeEnvelopesTx(now);
    },

    async getSecretRequest(id) {
      const r = get(q.requestById, id);
      return r ? toSecretRequest(r) : null;
    },
    async claimSecretRequest(id, userId, deviceId, now) {
      return claimTx(id, userId, deviceId, now);
    },
    async withdrawSecretRequest(id, fromDeviceId, now) {
      return withdrawTx(id, fromDeviceId, now);
    }
  };
}
