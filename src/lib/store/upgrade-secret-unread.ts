/**
 * Schema version 7: a secret message that is the peer's and not yet read carries `unread: 1`
 * (`SecretMessageRow.unread`, set by the writers from then on), so the chat list counts unread
 * messages on an index instead of reading and filtering every row of every secret chat on each
 * list read (a 1,000-message backlog read 1,000 rows per list read, once per received page).
 */
import type { Transaction } from 'dexie';
import type { SecretMessageRow } from './db';

/** The one rule, shared with the writers: theirs and not read (service notices are stored read). */
export const isUnread = (m: Pick<SecretMessageRow, 'mine' | 'status'>): boolean => !m.mine && m.status !== 'read';

export async function markSecretUnread(tx: Transaction): Promise<void> {
  await tx
    .table<SecretMessageRow, string>('secretMessages')
    .toCollection()
    .filter(isUnread)
    .modify((m) => {
      m.unread = 1;
    });
}
