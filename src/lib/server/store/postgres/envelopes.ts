/**
 * PostgreSQL: secret-chat envelopes and the secret-chat requests they carry (one module: a request
 * envelope creates or checks its request row in its own transaction). Plain envelopes are
 * group-committed (see below); per recipient device, seqs are drawn under an advisory lock so they
 * commit in order.
 */
import { num, sameEnvelopeOrigin, toEnvelope, toSecretRequest, type Row } from '../rows';
import type { ClaimResult, EnvelopeRow, EnvelopeStore, NewEnvelope, PutEnvelopeResult, SecretRequestStore } from '../types';
import pg from 'pg';
import { all, isTransient, LOCK, one, type Db, type Pg } from './db';

export function pgEnvelopes({ pool, tx }: Pg): EnvelopeStore & SecretRequestStore {
  const INSERT_ENVELOPE = `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, mailbox, request_id)`;

  const existingEnvelope = async (db: Db, toDeviceId: string, id: string) => {
    const r = await one(db, 'SELECT * FROM envelopes WHERE to_device_id = $1 AND id = $2', [toDeviceId, id]);
    return r ? toEnvelope(r) : null;
  };

  /** The answer for an envelope whose (recipient, id) is already stored: the same one again, or a conflict. */
  const envelopeArgs = (e: NewEnvelope) => [e.id, e.toDeviceId, e.fromDeviceId, e.fromUserId, e.body, e.createdAt, e.expiresAt, e.mailbox ?? null];
  const envelopeKey = (toDeviceId: unknown, id: unknown) => `${toDeviceId}\u0000${id}`;

  const sameAsExisting = (e: NewEnvelope, env: EnvelopeRow): PutEnvelopeResult =>
    sameEnvelopeOrigin(env, e) ? { ok: true, created: false, envelope: env } : { ok: false, reason: 'id_conflict' };

  /** One plain envelope in one statement (its own transaction): device lock, then the seq. */
  const putPlainEnvelope = async (e: NewEnvelope): Promise<PutEnvelopeResult> => {
    const args = envelopeArgs(e);
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await one(
        pool,
        `WITH l AS (SELECT pg_advisory_xact_lock(${LOCK.device}, hashtext($2)))
         ${INSERT_ENVELOPE} SELECT $1::text, $2::text, $3::text, $4::text, $5::bytea, $6::bigint, $7::bigint, $8::text, NULL FROM l
         ON CONFLICT (to_device_id, id) DO NOTHING RETURNING seq`,
        args
      );
      if (r) return { ok: true, created: true, envelope: { ...e, seq: num(r.seq) } };
      const existing = await existingEnvelope(pool, e.toDeviceId, e.id);
      if (existing) return sameAsExisting(e, existing);
      // Acked between the two statements: insert again.
    }
    throw new Error('putEnvelope: could not settle a concurrent insert');
  };

  /**
   * Group commit for plain envelopes: those posted while a batch is being written go out together in
   * ONE transaction (one WAL flush instead of one per envelope). The recipients' device locks are
   * taken in one sorted order before any seq is drawn, so seqs still commit in order per device and
   * two nodes' batches cannot deadlock. Every caller is answered only after the commit. An envelope
   * the batch skipped (its id was taken) is settled on its own afterwards; if the batch fails as a
   * whole, each envelope is retried on its own, so one bad envelope fails alone.
   */
  type PlainPending = { e: NewEnvelope; resolve: (r: PutEnvelopeResult) => void; reject: (err: unknown) => void };
  const PLAIN_BATCH_MAX = 256;
  let plainQueue: PlainPending[] = [];
  let plainWriting = false;

  /** SQL literals for the batch text below (ids are validated on the wire; escaped all the same). */
  const text = (v: string | null | undefined) => (v == null ? 'NULL' : pg.escapeLiteral(v));
  const int = (v: number) => {
    if (!Number.isSafeInteger(v)) throw new Error('putEnvelope: not an integer');
    return String(v);
  };
  const bytes = (b: Buffer) => `decode('${b.toString('hex')}', 'hex')`;

  /**
   * The batch in ONE round trip: three statements in one simple-protocol query, which PostgreSQL runs
   * as one transaction. (1) the devices' locks, sorted; (2) the insert, seqs drawn in arrival order;
   * (3) each new envelope's `prev` (what envelopeBefore gives). (3) has its own snapshot, taken after
   * (1) got the locks, so it sees every older envelope of the device, another node's included; it
   * could not be folded into (2), whose snapshot predates the locks. Key → seq and prev of the rows created.
   */
  const insertPlainBatch = async (items: PlainPending[]): Promise<Map<string, { seq: number; prev: number }>> => {
    const devices = [...new Set(items.map((it) => it.e.toDeviceId))];
    const rows = items.map(({ e }) =>
      [text(e.id), text(e.toDeviceId), text(e.fromDeviceId), text(e.fromUserId), bytes(e.body), int(e.createdAt), int(e.expiresAt), text(e.mailbox), 'NULL'].join(', ')
    );
    const keys = items.map(({ e }) => `(${text(e.toDeviceId)}, ${text(e.id)})`);
    const sql = `SELECT count(pg_advisory_xact_lock(${LOCK.device}, h)) FROM (SELECT DISTINCT hashtext(d) AS h FROM (VALUES (${devices.map(text).join('), (')})) v(d) ORDER BY 1) s;
      ${INSERT_ENVELOPE} VALUES (${rows.join('), (')}) ON CONFLICT (to_device_id, id) DO NOTHING RETURNING id, to_device_id, seq;
      SELECT e.id, e.to_device_id, e.seq, (SELECT max(p.seq) FROM envelopes p WHERE p.to_device_id = e.to_device_id AND p.seq < e.seq) AS prev
        FROM envelopes e JOIN (VALUES ${keys.join(', ')}) k(d, i) ON e.to_device_id = k.d AND e.id = k.i`;
    for (let attempt = 0; ; attempt++) {
      try {
        const [, inserted, prevs] = (await pool.query(sql)) as unknown as pg.QueryResult[];
        const prevOf = new Map((prevs.rows as Row[]).map((r) => [envelopeKey(r.to_device_id, r.id), { seq: num(r.seq), prev: num(r.prev) }]));
        const out = new Map<string, { seq: number; prev: number }>();
        for (const r of inserted.rows as Row[]) {
          const key = envelopeKey(r.to_device_id, r.id);
          const p = prevOf.get(key);
          if (p && p.seq === num(r.seq)) out.set(key, p);
        }
        return out;
      } catch (e) {
        if (attempt < 4 && isTransient(e)) continue;
        throw e;
      }
    }
  };

  async function writePlainBatches(): Promise<void> {
    plainWriting = true;
    try {
      while (plainQueue.length) {
        const items = plainQueue.slice(0, PLAIN_BATCH_MAX);
        plainQueue = plainQueue.slice(items.length);
        let created: Map<string, { seq: number; prev: number }> | null = null;
        // A lone envelope too: one round trip, and its prev comes along.
        try {
          created = await insertPlainBatch(items);
        } catch (e) {
          created = null; // settled one by one below, each with its own error
        }
        const settle = async (it: PlainPending) => {
          const key = envelopeKey(it.e.toDeviceId, it.e.id);
          const c = created?.get(key);
          try {
            // Of two same-id envelopes in one batch the first was inserted; the other is settled alone.
            if (c !== undefined) {
              created!.delete(key);
              it.resolve({ ok: true, created: true, envelope: { ...it.e, seq: c.seq }, prev: c.prev });
            } else it.resolve(await putPlainEnvelope(it.e));
          } catch (err) {
            it.reject(err);
          }
        };
        // Without a batch result, one at a time in arrival order (as a lone node would have taken them).
        if (created) await Promise.all(items.map(settle));
        else for (const it of items) await settle(it);
      }
    } finally {
      plainWriting = false;
    }
  }

  return {
    async putEnvelope(e, request) {
      if (e.requestId === null) {
        return new Promise<PutEnvelopeResult>((resolve, reject) => {
          plainQueue.push({ e, resolve, reject });
          if (!plainWriting) void writePlainBatches();
        });
      }

      if (!request) throw new Error('putEnvelope: a request envelope needs its target user');
      const args = envelopeArgs(e);
      const requestId = e.requestId;
      return tx<PutEnvelopeResult>(async (c) => {
        const existing = await existingEnvelope(c, e.toDeviceId, e.id);
        if (existing) return sameAsExisting(e, existing);
        const inserted = await c.query(
          `INSERT INTO secret_requests (id, from_device_id, to_user_id, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
          [requestId, e.fromDeviceId, request.toUserId, e.createdAt, e.expiresAt]
        );
        const req = toSecretRequest((await one(c, 'SELECT * FROM secret_requests WHERE id = $1 FOR UPDATE', [requestId]))!);
        if (inserted.rowCount === 0 && req.expiresAt <= e.createdAt) {
          // An expired record the purge has not reached yet is unknown: this request takes its id over.
          await c.query(
            `UPDATE secret_requests SET from_device_id = $1, to_user_id = $2, claimed_by_device_id = NULL, withdrawn = FALSE, created_at = $3, expires_at = $4
             WHERE id = $5`,
            [e.fromDeviceId, request.toUserId, e.createdAt, e.expiresAt, requestId]
          );
        } else if (inserted.rowCount === 0) {
          if (req.fromDeviceId !== e.fromDeviceId || req.toUserId !== request.toUserId) {
            return { ok: false, reason: 'request_conflict' };
          }
          if (req.withdrawn || req.claimedByDeviceId !== null) return { ok: false, reason: 'request_gone' };
          await c.query('UPDATE secret_requests SET expires_at = greatest(expires_at, $1) WHERE id = $2', [e.expiresAt, requestId]);
        }
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.device, e.toDeviceId]);
        const r = await one(c, `${INSERT_ENVELOPE} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`, [...args, requestId]);
        return { ok: true, created: true, envelope: { ...e, seq: num(r!.seq) } };
      }, true);
    },
    async listEnvelopes(deviceId, after, limit, now) {
      return (
        await all(pool, 'SELECT * FROM envelopes WHERE to_device_id = $1 AND seq > $2 AND expires_at > $3 ORDER BY seq LIMIT $4', [deviceId, after, now, limit])
      ).map(toEnvelope);
    },
    async countEnvelopes(deviceId, now) {
      return num((await one(pool, 'SELECT count(*) AS n FROM envelopes WHERE to_device_id = $1 AND expires_at > $2', [deviceId, now]))?.n);
    },
    async envelopeBefore(deviceId, seq) {
      return num((await one(pool, 'SELECT max(seq) AS seq FROM envelopes WHERE to_device_id = $1 AND seq < $2', [deviceId, seq]))?.seq);
    },
    async ackEnvelopes(deviceId, upTo) {
      return (await pool.query('DELETE FROM envelopes WHERE to_device_id = $1 AND seq <= $2', [deviceId, upTo])).rowCount ?? 0;
    },
    async purgeExpiredEnvelopes(now) {
      return tx(async (c) => {
        const n = (await c.query('DELETE FROM envelopes WHERE expires_at <= $1', [now])).rowCount ?? 0;
        await c.query('DELETE FROM secret_requests WHERE expires_at <= $1', [now]);
        return n;
      });
    },

    // ---- secret-chat requests ----
    async getSecretRequest(id) {
      const r = await one(pool, 'SELECT * FROM secret_requests WHERE id = $1', [id]);
      return r ? toSecretRequest(r) : null;
    },
    async claimSecretRequest(id, userId, deviceId, now) {
      return tx<ClaimResult>(async (c) => {
        // Expired rows linger until the hourly purge: unknown all the same.
        const r = await one(c, 'SELECT * FROM secret_requests WHERE id = $1 AND expires_at > $2 FOR UPDATE', [id, now]);
        if (!r) return 'not_found';
        const req = toSecretRequest(r);
        if (req.toUserId !== userId) return 'not_found';
        if (req.withdrawn) return 'gone';
        if (req.claimedByDeviceId !== null) return req.claimedByDeviceId === deviceId ? 'already' : 'conflict';
        await c.query('UPDATE secret_requests SET claimed_by_device_id = $1 WHERE id = $2', [deviceId, id]);
        await c.query('DELETE FROM envelopes WHERE request_id = $1 AND to_device_id <> $2', [id, deviceId]);
        return 'claimed';
      });
    },
    async withdrawSecretRequest(id, fromDeviceId, now) {
      return tx(async (c) => {
        const r = await one(c, 'SELECT from_device_id FROM secret_requests WHERE id = $1 AND expires_at > $2 FOR UPDATE', [id, now]);
        if (!r || (r.from_device_id as string) !== fromDeviceId) return false;
        await c.query('UPDATE secret_requests SET withdrawn = TRUE WHERE id = $1', [id]);
        await c.query('DELETE FROM envelopes WHERE request_id = $1', [id]);
        return true;
      });
    }
  };
}
