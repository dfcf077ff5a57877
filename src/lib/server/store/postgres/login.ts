/** PostgreSQL: sign-in backoff per account key and known-device tokens (../../throttle.ts). */
import { num } from '../rows';
import type { LoginAttempt, LoginStore } from '../types';
import { one, type Pg } from './db';

export function pgLogin({ pool, tx }: Pg): LoginStore {
  return {
    async takeLoginAttempt(key, now, forgetBefore, delayMs) {
      return tx<LoginAttempt>(async (c) => {
        // The placeholder (last_at 0) reads as forgotten; the row lock then orders concurrent attempts.
        await c.query('INSERT INTO login_throttle (key, failures, next_at, last_at) VALUES ($1, 0, 0, 0) ON CONFLICT (key) DO NOTHING', [key]);
        const r = (await one(c, 'SELECT failures, next_at, last_at FROM login_throttle WHERE key = $1 FOR UPDATE', [key]))!;
        const live = num(r.last_at) >= forgetBefore;
        if (live && num(r.next_at) > now) return { ok: false, nextAt: num(r.next_at) };
        const failures = (live ? num(r.failures) : 0) + 1;
        await c.query('UPDATE login_throttle SET failures = $2, next_at = $3, last_at = $4 WHERE key = $1', [key, failures, now + delayMs(failures), now]);
        return { ok: true };
      });
    },
    async clearLoginAttempts(key) {
      await pool.query('DELETE FROM login_throttle WHERE key = $1', [key]);
    },
    async purgeLoginAttempts(before) {
      return (await pool.query('DELETE FROM login_throttle WHERE last_at < $1', [before])).rowCount ?? 0;
    },
    async rememberKnownDevice(userId, tokenHash, replaces, at, keep) {
      await tx(async (c) => {
        if (replaces !== null) await c.query('UPDATE known_devices SET token_hash = $1 WHERE token_hash = $2', [tokenHash, replaces]);
        await c.query(
          `INSERT INTO known_devices (user_id, token_hash, last_at) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, token_hash) DO UPDATE SET last_at = excluded.last_at`,
          [userId, tokenHash, at]
        );
        await c.query(
          `DELETE FROM known_devices WHERE user_id = $1 AND token_hash NOT IN
             (SELECT token_hash FROM known_devices WHERE user_id = $1 ORDER BY last_at DESC, token_hash LIMIT $2)`,
          [userId, keep]
        );
      });
    },
    async isKnownDevice(userId, tokenHash) {
      return (await one(pool, 'SELECT 1 AS x FROM known_devices WHERE user_id = $1 AND token_hash = $2', [userId, tokenHash])) !== undefined;
    }
  };
}
