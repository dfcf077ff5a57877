/** SQLite: each account's block list (../types.ts BlockStore; migration 13). */
import { toBlock } from '../rows';
import type { BlockStore } from '../types';
import { all, get, type Db } from './db';

export function sqliteBlocks(db: Db): BlockStore {
  const q = {
    count: db.prepare('SELECT count(*) AS n FROM user_blocks WHERE blocker_id = ?'),
    has: db.prepare('SELECT at FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?'),
    insert: db.prepare('INSERT INTO user_blocks (blocker_id, blocked_id, at) VALUES (?, ?, ?)'),
    drop: db.prepare('DELETE FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?'),
    list: db.prepare('SELECT u.*, b.at AS blocked_at FROM user_blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = ? ORDER BY b.at DESC, b.blocked_id'),
    between: db.prepare('SELECT blocker_id FROM user_blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)')
  };

  const blockTx = db.transaction((blockerId: string, blockedId: string, at: number, max: number) => {
    const was = get(q.has, blockerId, blockedId);
    if (was) return { created: false, at: was.at as number };
    if ((get(q.count, blockerId)!.n as number) >= max) return 'too_many_blocked' as const;
    q.insert.run(blockerId, blockedId, at);
    return { created: true, at };
  });

  return {
    async block(blockerId, blockedId, at, max) {
      return blockTx(blockerId, blockedId, at, max);
    },
    async unblock(blockerId, blockedId) {
      return q.drop.run(blockerId, blockedId).changes > 0;
    },
    async listBlocked(blockerId) {
      return all(q.list, blockerId).map(toBlock);
    },
    async blockedBetween(a, b) {
      const by = new Set(all(q.between, a, b, b, a).map((r) => r.blocker_id as string));
      return { aBlockedB: by.has(a), bBlockedA: by.has(b) };
    }
  };
}
