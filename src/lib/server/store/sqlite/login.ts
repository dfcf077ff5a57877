/** SQLite: sign-in backoff per account key and known-device tokens (../../throttle.ts). */
import type { LoginAttempt, LoginStore } from '../types';
import { get, type Db } from './db';

export function sqliteLogin(db: Db): LoginStore {
  const q = {
    throttleByKey: db.prepare('SELECT * FROM login_throttle WHERE key = ?'),
    upsertThrottle: db.prepare(
      `INSERT INTO login_throttle (key, failures, next_at, last_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, next_at = excluded.next_at, last_at = excluded.last_at`
    ),
    clearThrottle: db.prepare('DELETE FROM login_throttle WHERE key = ?'),
    purgeThrottle: db.prepare('DELETE FROM login_throttle WHERE last_at < ?'),
    rotateKnown: db.prepare('UPDATE known_devices SET token_hash = ? WHERE token_hash = ?'),
    upsertKnown: db.prepare(
      'INSERT INTO known_devices (user_id, token_hash, last_at) VALUES (?, ?, ?) ON CONFLICT (user_id, token_hash) DO UPDATE SET last_at = excluded.last_at'
    ),
    trimKnown: db.prepare(
      `DELETE FROM known_devices WHERE user_id = @userId AND token_hash NOT IN
         (SELECT token_hash FROM known_devices WHERE user_id = @userId ORDER BY last_at DESC, token_hash LIMIT @keep)`
    ),
    knownExists: db.prepare('SELECT 1 AS x FROM known_devices WHERE user_id = ? AND token_hash = ?')
  };

  const takeLoginTx = db.transaction((key: string, now: number, forgetBefore: number, delayMs: (failures: number) => number): LoginAttempt => {
    const r = get(q.throttleByKey, key);
    const live = r !== undefined && (r.last_at as number) >= forgetBefore;
    if (live && (r.next_at as number) > now) return { ok: false, nextAt: r.next_at as number };
    const failures = (live ? (r.failures as number) : 0) + 1;
    q.upsertThrottle.run(key, failures, now + delayMs(failures), now);
    return { ok: true };
  });

  const rememberKnownTx = db.transaction((userId: string, tokenHash: string, replaces: string | null, at: number, keep: number) => {
    if (replaces !== null) q.rotateKnown.run(tokenHash, replaces);
    q.upsertKnown.run(userId, tokenHash, at);
    q.trimKnown.run({ userId, keep });
  });

  return {
    async takeLoginAttempt(key, now, forgetBefore, delayMs) {
      // IMMEDIATE: takes the write lock before reading, so processes sharing the file can't both pass.
      return takeLoginTx.immediate(key, now, forgetBefore, delayMs);
    },
    async clearLoginAttempts(key) {
      q.clearThrottle.run(key);
    },
    async purgeLoginAttempts(before) {
      return q.purgeThrottle.run(before).changes;
    },
    async rememberKnownDevice(userId, tokenHash, replaces, at, keep) {
      rememberKnownTx.immediate(userId, tokenHash, replaces, at, keep);
    },
    async isKnownDevice(userId, tokenHash) {
      return get(q.knownExists, userId, tokenHash) !== undefined;
    }
  };
}
