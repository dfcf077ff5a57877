/** PostgreSQL: each account's block list (../types.ts BlockStore; migration 13). */
import { num, toBlock } from '../rows';
import type { BlockStore } from '../types';
import { all, LOCK, one, type Pg } from './db';

export function pgBlocks({ pool, tx }: Pg): BlockStore {
  return {
    async block(blockerId, blockedId, at, max) {
      return tx(async (c) => {
        // One block-list change of a user at a time: the count below stays true until COMMIT.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.blocks, blockerId]);
        const was = await one(c, 'SELECT at FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId]);
        if (was) return { created: false, at: num(was.at) };
        if (num((await one(c, 'SELECT count(*) AS n FROM user_blocks WHERE blocker_id = $1', [blockerId]))?.n) >= max) return 'too_many_blocked' as const;
        await c.query('INSERT INTO user_blocks (blocker_id, blocked_id, at) VALUES ($1, $2, $3)', [blockerId, blockedId, at]);
        return { created: true, at };
      });
    },
    async unblock(blockerId, blockedId) {
      return ((await pool.query('DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId])).rowCount ?? 0) > 0;
    },
    async listBlocked(blockerId) {
      const rows = await all(
        pool,
        'SELECT u.*, b.at AS blocked_at FROM user_blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1 ORDER BY b.at DESC, b.blocked_id',
        [blockerId]
      );
      return rows.map(toBlock);
    },
    async blockedBetween(a, b) {
      const rows = await all(pool, 'SELECT blocker_id FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)', [a, b]);
      const by = new Set(rows.map((r) => r.blocker_id as string));
      return { aBlockedB: by.has(a), bBlockedA: by.has(b) };
    }
  };
}
