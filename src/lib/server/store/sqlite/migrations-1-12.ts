/**
 * SQLite schema migrations 1–12 (./migrations.ts appends the later ones). Never edit an applied one.
 */
import type { Migration } from '../types';

export const MIGRATIONS_1_12: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE users (
        id           TEXT PRIMARY KEY,
        username     TEXT NOT NULL UNIQUE CHECK (username = lower(username)),
        display_name TEXT NOT NULL,
        pw_hash      TEXT NOT NULL,
        created_at   INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE devices (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        sign_pub     TEXT NOT NULL,
        dh_pub       TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        revoked_at   INTEGER
      ) STRICT;
      CREATE INDEX devices_by_user ON devices(user_id);

      CREATE TABLE cloud_chats (
        id       INTEGER PRIMARY KEY,
        user_a   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_b   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        next_seq INTEGER NOT NULL DEFAULT 1,
        CHECK (user_a <= user_b),
        UNIQUE (user_a, user_b)
      ) STRICT;
      CREATE INDEX cloud_chats_by_b ON cloud_chats(user_b);

      CREATE TABLE cloud_messages (
        chat_id          INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        seq              INTEGER NOT NULL,
        id               TEXT NOT NULL UNIQUE,
        sender_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sender_device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        body             BLOB NOT NULL,
        created_at       INTEGER NOT NULL,
        deleted          INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_id, seq)
      ) STRICT;

      CREATE TABLE chat_reads (
        chat_id  INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        read_seq INTEGER NOT NULL,
        PRIMARY KEY (chat_id, user_id)
      ) STRICT;

      CREATE TABLE user_updates (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);

      CREATE TABLE envelopes (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        id             TEXT NOT NULL,
        to_device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        from_device_id TEXT NOT NULL,
        from_user_id   TEXT NOT NULL,
        body           BLOB NOT NULL,
        created_at     INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL,
        UNIQUE (to_device_id, id)
      ) STRICT;
      CREATE INDEX envelopes_by_device ON envelopes(to_device_id, seq);
      CREATE INDEX envelopes_by_expiry ON envelopes(expires_at);
    `
  },
  {
    version: 2,
    name: 'secret requests and blobs',
    sql: `
      ALTER TABLE envelopes ADD COLUMN request_id TEXT;
      CREATE INDEX envelopes_by_request ON envelopes(request_id) WHERE request_id IS NOT NULL;

      -- A secret-chat handshake request fanned out to every device of one user; one device claims it.
      CREATE TABLE secret_requests (
        id                   TEXT PRIMARY KEY,
        from_device_id       TEXT NOT NULL,
        to_user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        claimed_by_device_id TEXT,
        withdrawn            INTEGER NOT NULL DEFAULT 0,
        created_at           INTEGER NOT NULL,
        expires_at           INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX secret_requests_by_expiry ON secret_requests(expires_at);

      -- Encrypted media; the bytes live in DATA_DIR/blobs/<id>.
      CREATE TABLE blobs (
        id              TEXT PRIMARY KEY,
        owner_device_id TEXT NOT NULL,
        owner_user_id   TEXT NOT NULL,
        to_device_id    TEXT NOT NULL,
        size            INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX blobs_by_owner ON blobs(owner_user_id, expires_at);
      CREATE INDEX blobs_by_expiry ON blobs(expires_at);
    `
  },
  {
    version: 3,
    name: 'web push subscriptions and wake-ups',
    sql: `
      -- One Web Push subscription per device (src/lib/server/push.ts).
      CREATE TABLE push_subscriptions (
        device_id  TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        endpoint   TEXT NOT NULL,
        p256dh     TEXT NOT NULL,
        auth       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- Self-destruct deadlines a device asked to be woken at (src/lib/server/wakeups.ts); only times.
      -- claimed_by/claimed_at: the relay node sending it right now (a stale claim is retaken).
      CREATE TABLE wakeups (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        at         INTEGER NOT NULL,
        claimed_by TEXT,
        claimed_at INTEGER,
        UNIQUE (device_id, at)
      ) STRICT;
      CREATE INDEX wakeups_by_at ON wakeups(at);
    `
  },
  {
    version: 4,
    name: 'cloud media',
    sql: `
      -- Cloud-chat photos and videos (src/lib/server/cloud-media.ts). The bytes are DATA_DIR/media/<id>,
      -- sealed with the at-rest key; meta is the sealed {mime, name}. message_id: the carrying message
      -- once sent. deadline = opened_at + ttl; claimed_by/claimed_at: the node expiring it right now.
      CREATE TABLE cloud_media (
        id              TEXT PRIMARY KEY,
        owner_user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        owner_device_id TEXT NOT NULL,
        to_user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        meta            BLOB NOT NULL,
        size            INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        message_id      TEXT UNIQUE,
        ttl             INTEGER NOT NULL DEFAULT 0,
        opened_at       INTEGER,
        deadline        INTEGER,
        claimed_by      TEXT,
        claimed_at      INTEGER
      ) STRICT;
      CREATE INDEX cloud_media_by_deadline ON cloud_media(deadline) WHERE deadline IS NOT NULL;
      CREATE INDEX cloud_media_unattached ON cloud_media(created_at) WHERE message_id IS NULL;
    `
  },
  {
    version: 5,
    name: 'cloud media quota',
    sql: `
      -- The per-user quota sums cloud_media.size by owner (uploads in progress hold their reservation).
      CREATE INDEX cloud_media_by_owner ON cloud_media(owner_user_id);
    `
  },
  {
    version: 6,
    name: 'login backoff and known devices',
    sql: `
      -- Per-account sign-in backoff (src/lib/server/throttle.ts). key: SHA-256 of the lowercased username
      -- as typed, so unknown names are throttled alike and no username is stored in clear.
      CREATE TABLE login_throttle (
        key      TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        next_at  INTEGER NOT NULL,
        last_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX login_throttle_by_last ON login_throttle(last_at);

      -- Browsers that signed in to the account before: SHA-256 of their known-device cookie token.
      CREATE TABLE known_devices (
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL,
        last_at    INTEGER NOT NULL,
        PRIMARY KEY (user_id, token_hash)
      ) STRICT;
      CREATE INDEX known_devices_by_token ON known_devices(token_hash);
    `
  },
  {
    version: 7,
    name: 'account deletion',
    sql: `
      -- A deleted account keeps its users row as a tombstone (renamed, no password) so its peers' chats
      -- keep their other member. away_months: "delete my account if away for N months" (0 = off).
      ALTER TABLE users ADD COLUMN deleted_at INTEGER;
      ALTER TABLE users ADD COLUMN away_months INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX users_auto_delete ON users(away_months) WHERE away_months > 0 AND deleted_at IS NULL;

      -- Usernames of deleted accounts, refused at sign-up until free_at (USERNAME_QUARANTINE_DAYS).
      CREATE TABLE username_quarantine (
        username TEXT PRIMARY KEY,
        free_at  INTEGER NOT NULL
      ) STRICT;

      -- Pairs of devices that exchanged secret-chat envelopes (device_a < device_b), so an account
      -- deletion can tell the peer devices without reading any content. Dropped when either is revoked.
      CREATE TABLE secret_contacts (
        device_a TEXT NOT NULL,
        device_b TEXT NOT NULL,
        last_at  INTEGER NOT NULL,
        PRIMARY KEY (device_a, device_b)
      ) STRICT;
      CREATE INDEX secret_contacts_by_b ON secret_contacts(device_b);

      -- A notice queued by the relay itself ('account_deleted'); NULL for every client envelope.
      ALTER TABLE envelopes ADD COLUMN notice TEXT;
    `
  },
  {
    version: 8,
    name: 'sealed sender',
    sql: `
      -- The highest secret-chat protocol version a device speaks (2: sealed mailboxes).
      ALTER TABLE devices ADD COLUMN protocol INTEGER NOT NULL DEFAULT 1;

      -- Receive mailboxes of protocol-2 devices. cap: the capability key, sealed with the at-rest key.
      CREATE TABLE mailboxes (
        id         TEXT PRIMARY KEY,
        device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        cap        BLOB NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX mailboxes_by_device ON mailboxes(device_id);
      CREATE INDEX mailboxes_by_expiry ON mailboxes(expires_at);

      -- Envelopes posted to a mailbox have no sender: SQLite cannot drop NOT NULL, so the table is
      -- rebuilt. Its AUTOINCREMENT counter moves with it, so seqs keep rising (devices page by them).
      CREATE TABLE envelopes_v8 (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        id             TEXT NOT NULL,
        to_device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        from_device_id TEXT,
        from_user_id   TEXT,
        body           BLOB NOT NULL,
        created_at     INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL,
        request_id     TEXT,
        notice         TEXT,
        mailbox        TEXT,
        UNIQUE (to_device_id, id),
        CHECK ((from_device_id IS NULL) = (from_user_id IS NULL)),
        CHECK (from_device_id IS NOT NULL OR mailbox IS NOT NULL)
      ) STRICT;
      INSERT INTO envelopes_v8 (seq, id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id, notice)
        SELECT seq, id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id, notice FROM envelopes;
      DELETE FROM sqlite_sequence WHERE name = 'envelopes_v8';
      UPDATE sqlite_sequence SET name = 'envelopes_v8' WHERE name = 'envelopes';
      DROP TABLE envelopes;
      ALTER TABLE envelopes_v8 RENAME TO envelopes;
      CREATE INDEX envelopes_by_device ON envelopes(to_device_id, seq);
      CREATE INDEX envelopes_by_expiry ON envelopes(expires_at);
      CREATE INDEX envelopes_by_request ON envelopes(request_id) WHERE request_id IS NOT NULL;

      -- Blobs uploaded through a mailbox token have no owner either (same rebuild; no counter here).
      CREATE TABLE blobs_v8 (
        id              TEXT PRIMARY KEY,
        owner_device_id TEXT,
        owner_user_id   TEXT,
        to_device_id    TEXT NOT NULL,
        size            INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        CHECK ((owner_device_id IS NULL) = (owner_user_id IS NULL))
      ) STRICT;
      INSERT INTO blobs_v8 SELECT id, owner_device_id, owner_user_id, to_device_id, size, created_at, expires_at FROM blobs;
      DROP TABLE blobs;
      ALTER TABLE blobs_v8 RENAME TO blobs;
      CREATE INDEX blobs_by_owner ON blobs(owner_user_id, expires_at);
      CREATE INDEX blobs_by_expiry ON blobs(expires_at);
      -- The inbound quota of sealed uploads, and the blobs to a device that account deletion drops.
      CREATE INDEX blobs_by_recipient ON blobs(to_device_id, expires_at);
    `
  },
  {
    version: 9,
    name: 'edited cloud messages',
    sql: `
      ALTER TABLE cloud_messages ADD COLUMN edited_at INTEGER;

      -- The update log takes a new kind, 'edit': SQLite changes a CHECK only by rebuilding the table
      -- (its AUTOINCREMENT counter moves with it, so no cursor is handed out twice).
      CREATE TABLE user_updates_v9 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v9 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v9';
      UPDATE sqlite_sequence SET name = 'user_updates_v9' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v9 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  },
  {
    version: 10,
    name: 'cloud message reactions',
    sql: `
      -- One reaction per (message, user); the emoji is sealed at rest like message bodies.
      CREATE TABLE cloud_reactions (
        message_id TEXT NOT NULL REFERENCES cloud_messages(id) ON DELETE CASCADE,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        emoji      BLOB NOT NULL,
        at         INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id)
      ) STRICT;
      -- A deleted message (for everyone, its media expired, its author's account gone) keeps no reaction.
      CREATE TRIGGER cloud_reactions_of_deleted AFTER UPDATE OF deleted ON cloud_messages WHEN NEW.deleted = 1
      BEGIN
        DELETE FROM cloud_reactions WHERE message_id = NEW.id;
      END;

      -- The update log takes a new kind, 'react' (rebuilt as in migration 9).
      CREATE TABLE user_updates_v10 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v10 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v10';
      UPDATE sqlite_sequence SET name = 'user_updates_v10' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v10 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  },
  {
    version: 11,
    name: 'cloud chat settings',
    sql: `
      -- Each member's own settings of a chat (pinned, muted), synced to that member's devices only.
      CREATE TABLE cloud_chat_settings (
        chat_id     INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        pinned_at   INTEGER,
        muted_until INTEGER,
        PRIMARY KEY (user_id, chat_id)
      ) STRICT;

      -- The update log takes a new kind, 'settings' (rebuilt as in migration 9).
      CREATE TABLE user_updates_v11 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v11 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v11';
      UPDATE sqlite_sequence SET name = 'user_updates_v11' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v11 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  },
  {
    version: 12,
    name: 'pinned cloud messages',
    sql: `
      -- Messages pinned in a chat, shared by both members; who pinned it, so their pins go with their account.
      CREATE TABLE cloud_pins (
        message_id TEXT PRIMARY KEY REFERENCES cloud_messages(id) ON DELETE CASCADE,
        chat_id    INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        pinned_by  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        at         INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX cloud_pins_by_chat ON cloud_pins(chat_id, at);
      -- A deleted message (for everyone, its media expired, its author's account gone) keeps no pin.
      CREATE TRIGGER cloud_pins_of_deleted AFTER UPDATE OF deleted ON cloud_messages WHEN NEW.deleted = 1
      BEGIN
        DELETE FROM cloud_pins WHERE message_id = NEW.id;
      END;

      -- The update log takes a new kind, 'pin' (rebuilt as in migration 9).
      CREATE TABLE user_updates_v12 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v12 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v12';
      UPDATE sqlite_sequence SET name = 'user_updates_v12' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v12 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  }
];
