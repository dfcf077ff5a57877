/** SQLite: account deletion (one transaction), the username quarantine, auto-delete and secret-chat contacts. */
import { pair, toChat, toEnvelope } from '../rows';
import type { AccountStore, AppendedUpdate, EnvelopeRow, NewEnvelope } from '../types';
import { DELETE_BATCH, DELETED_NAME, tombstoneName } from '../tombstone';
import { all, get, type AppendUpdates, type Db } from './db';

export function sqliteAccount(db: Db, appendUpdates: AppendUpdates): AccountStore {
  const q = {
    liveUser: db.prepare('SELECT username, photo FROM users WHERE id = ? AND deleted_at IS NULL'),
    devices: db.prepare('SELECT id, revoked_at FROM devices WHERE user_id = ?'),
    revokeAll: db.prepare("UPDATE devices SET revoked_at = ?, name = '' WHERE user_id = ? AND revoked_at IS NULL"),
    scrubRevoked: db.prepare("UPDATE devices SET name = '' WHERE user_id = ?"),
    chatsOf: db.prepare('SELECT * FROM cloud_chats WHERE user_a = ? OR user_b = ?'),
    deleteSent: db.prepare("UPDATE cloud_messages SET deleted = 1, body = X'' WHERE chat_id = ? AND sender_id = ? AND deleted = 0 RETURNING id"),
    // Its reactions to the messages that stay (the peer's); those on its own went with them (a trigger).
    dropReactionsIn: db.prepare('DELETE FROM cloud_reactions WHERE user_id = ? AND message_id IN (SELECT id FROM cloud_messages WHERE chat_id = ?) RETURNING message_id'),
    // Its pins of the messages that stay (the peer's), as its reactions; those of its own went with them (a trigger).
    dropPinsIn: db.prepare('DELETE FROM cloud_pins WHERE pinned_by = ? AND chat_id = ? RETURNING message_id'),
    dropMessageMedia: db.prepare('DELETE FROM cloud_media WHERE message_id = ? RETURNING id'),
    dropOwnMedia: db.prepare('DELETE FROM cloud_media WHERE owner_user_id = ? RETURNING id'),
    dropBlobs: db.prepare('DELETE FROM blobs WHERE owner_user_id = ? RETURNING id'),
    dropBlobsTo: db.prepare('DELETE FROM blobs WHERE to_device_id = ? RETURNING id'),
    dropEnvelopesTo: db.prepare('DELETE FROM envelopes WHERE to_device_id = ?'),
    dropEnvelopesFrom: db.prepare('DELETE FROM envelopes WHERE from_user_id = ?'),
    dropRequestsTo: db.prepare('DELETE FROM secret_requests WHERE to_user_id = ?'),
    dropRequestsFrom: db.prepare('DELETE FROM secret_requests WHERE from_device_id = ?'),
    dropPush: db.prepare('DELETE FROM push_subscriptions WHERE device_id = ?'),
    dropWakeups: db.prepare('DELETE FROM wakeups WHERE device_id = ?'),
    dropKnown: db.prepare('DELETE FROM known_devices WHERE user_id = ?'),
    // What the user scheduled (what others scheduled to them fails when due, with its reason).
    dropScheduled: db.prepare('DELETE FROM scheduled_messages WHERE sender_id = ?'),
    dropLog: db.prepare('DELETE FROM user_updates WHERE user_id = ?'),
    dropSettings: db.prepare('DELETE FROM cloud_chat_settings WHERE user_id = ?'),
    dropBlocksBy: db.prepare('DELETE FROM user_blocks WHERE blocker_id = ?'),
    dropBlocksOf: db.prepare('DELETE FROM user_blocks WHERE blocked_id = ? RETURNING blocker_id'),
    contactsOf: db.prepare(
      `SELECT c.device_b AS peer FROM secret_contacts c JOIN devices d ON d.id = c.device_b WHERE c.device_a = ? AND d.revoked_at IS NULL
       UNION SELECT c.device_a AS peer FROM secret_contacts c JOIN devices d ON d.id = c.device_a WHERE c.device_b = ? AND d.revoked_at IS NULL`
    ),
    dropContacts: db.prepare('DELETE FROM secret_contacts WHERE device_a = ? OR device_b = ?'),
    dropMailboxes: db.prepare('DELETE FROM mailboxes WHERE device_id = ?'),
    insertNotice: db.prepare(
      `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id, notice)
       VALUES (@id, @toDeviceId, @fromDeviceId, @fromUserId, @body, @createdAt, @expiresAt, NULL, 'account_deleted')
       ON CONFLICT (to_device_id, id) DO NOTHING RETURNING *`
    ),
    tombstone: db.prepare("UPDATE users SET deleted_at = ?, username = ?, display_name = ?, pw_hash = '!', away_months = 0, photo = NULL WHERE id = ?"),
    dropPhoto: db.prepare('DELETE FROM user_photos WHERE user_id = ?'),
    quarantine: db.prepare(
      `INSERT INTO username_quarantine (username, free_at) VALUES (?, ?)
       ON CONFLICT (username) DO UPDATE SET free_at = max(free_at, excluded.free_at)`
    ),
    quarantined: db.prepare('SELECT free_at FROM username_quarantine WHERE username = ? AND free_at > ?'),
    purgeQuarantine: db.prepare('DELETE FROM username_quarantine WHERE free_at <= ?'),
    getAway: db.prepare('SELECT away_months FROM users WHERE id = ? AND deleted_at IS NULL'),
    setAway: db.prepare('UPDATE users SET away_months = ? WHERE id = ? AND deleted_at IS NULL'),
    away: db.prepare(
      `SELECT u.id FROM users u
       WHERE u.away_months > 0 AND u.deleted_at IS NULL
         AND max(u.created_at, coalesce((SELECT max(d.last_seen_at) FROM devices d WHERE d.user_id = u.id), 0)) < ? - u.away_months * ?
       ORDER BY u.id LIMIT ?`
    ),
    noteContact: db.prepare(
      `INSERT INTO secret_contacts (device_a, device_b, last_at) VALUES (?, ?, ?)
       ON CONFLICT (device_a, device_b) DO UPDATE SET last_at = max(last_at, excluded.last_at)`
    )
  };

  const deleteTx = db.transaction((userId: string, at: number, freeAt: number, notice: (from: string, to: string) => NewEnvelope) => {
    const user = get(q.liveUser, userId);
    if (!user) return null;
    const devices = all(q.devices, userId);
    const ids = devices.map((d) => d.id as string);
    const liveDeviceIds = devices.filter((d) => d.revoked_at === null).map((d) => d.id as string);
    q.revokeAll.run(at, userId);
    q.scrubRevoked.run(userId);

    // The cloud messages the user sent: deleted for both members, as a delete from the sender would be.
    const updates: AppendedUpdate[] = [];
    const media: string[] = [];
    for (const r of all(q.chatsOf, userId, userId)) {
      const chat = toChat(r);
      // Its photo leaves the peers' devices too (a 'profile' update, served as the deleted account's).
      const peer = chat.userA === userId ? chat.userB : chat.userA;
      if (user.photo != null && peer !== userId && chat.nextSeq > 1) updates.push(...appendUpdates(chat, 'profile', userId, peer));
      const gone = all(q.deleteSent, chat.id, userId).map((m) => m.id as string);
      for (const id of gone) for (const m of all(q.dropMessageMedia, id)) media.push(m.id as string);
      for (let i = 0; i < gone.length; i += DELETE_BATCH) {
        updates.push(...appendUpdates(chat, 'delete', JSON.stringify(gone.slice(i, i + DELETE_BATCH))));
      }
      for (const r of all(q.dropReactionsIn, userId, chat.id)) updates.push(...appendUpdates(chat, 'react', r.message_id as string));
      const unpinned = all(q.dropPinsIn, userId, chat.id);
      if (unpinned.length) updates.push(...appendUpdates(chat, 'pin', unpinned[0].message_id as string));
    }
    for (const m of all(q.dropOwnMedia, userId)) media.push(m.id as string);
    const blobs = all(q.dropBlobs, userId).map((b) => b.id as string);

    // Peers to tell, before the contact rows go.
    const peers: [string, string][] = [];
    for (const id of ids) {
      for (const p of all(q.contactsOf, id, id)) if (!ids.includes(p.peer as string)) peers.push([id, p.peer as string]);
    }
    for (const id of ids) {
      for (const b of all(q.dropBlobsTo, id)) blobs.push(b.id as string);
      q.dropEnvelopesTo.run(id);
      q.dropRequestsFrom.run(id);
      q.dropPush.run(id);
      q.dropWakeups.run(id);
      q.dropContacts.run(id, id);
      q.dropMailboxes.run(id);
    }
    q.dropEnvelopesFrom.run(userId);
    q.dropRequestsTo.run(userId);
    q.dropKnown.run(userId);
    q.dropScheduled.run(userId);
    // The user's own log: no device of theirs will read it again (appended above for both members).
    q.dropLog.run(userId);
    q.dropSettings.run(userId);
    // Both sides of its blocks; those who had blocked it are told their list changed.
    q.dropBlocksBy.run(userId);
    const blockedBy = all(q.dropBlocksOf, userId).map((r) => r.blocker_id as string);

    const notices: EnvelopeRow[] = [];
    for (const [from, to] of peers) {
      const r = get(q.insertNotice, notice(from, to));
      if (r) notices.push(toEnvelope(r));
    }
    q.tombstone.run(at, tombstoneName(userId), DELETED_NAME, userId);
    q.dropPhoto.run(userId);
    q.quarantine.run(user.username as string, freeAt);
    return { liveDeviceIds, updates: updates.filter((u) => u.userId !== userId), media, blobs, notices, blockedBy };
  });

  return {
    async deleteAccount(userId, at, usernameFreeAt, notice) {
      return deleteTx.immediate(userId, at, usernameFreeAt, notice);
    },
    async usernameQuarantine(username, now) {
      const r = get(q.quarantined, username.toLowerCase(), now);
      return r ? (r.free_at as number) : null;
    },
    async purgeUsernameQuarantine(now) {
      return q.purgeQuarantine.run(now).changes;
    },
    async getAutoDelete(userId) {
      return (get(q.getAway, userId)?.away_months as number | undefined) ?? 0;
    },
    async setAutoDelete(userId, months) {
      q.setAway.run(months, userId);
    },
    async listAwayUsers(now, monthMs, limit) {
      return all(q.away, now, monthMs, limit).map((r) => r.id as string);
    },
    async noteSecretContact(deviceA, deviceB, at) {
      if (deviceA === deviceB) return;
      q.noteContact.run(...pair(deviceA, deviceB), at);
    }
  };
}
