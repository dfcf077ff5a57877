/**
 * PostgreSQL schema, as numbered migrations mirroring the SQLite ones in ../sqlite/migrations.ts (same version
 * numbers, same tables and columns). Append new entries; never edit an applied one. They are applied
 * by ./index.ts at start, all pending ones in one transaction under an advisory lock, so several
 * nodes starting at once migrate exactly once.
 *
 * Differences from SQLite, all invisible through `Store`:
 * - timestamps, seqs and cursors are BIGINT (parsed back to JS numbers), bodies BYTEA;
 * - identifiers and usernames use the "C" collation so ordering matches JavaScript's string order
 *   (the chat pair invariant `user_a <= user_b` is computed in JS);
 * - update-log cursors and envelope seqs come from BIGSERIAL; the store takes a per-user / per-device
 *   advisory lock before appending so they become visible in order (see ./index.ts).
 */
import type { Migration } from '../types';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE users (
        id           TEXT COLLATE "C" PRIMARY KEY,
        username     TEXT COLLATE "C" NOT NULL UNIQUE CHECK (username = lower(username)),
        display_name TEXT NOT NULL,
        pw_hash      TEXT NOT NULL,
        created_at   BIGINT NOT NULL
      );

      CREATE TABLE devices (
        id           TEXT COLLATE "C" PRIMARY KEY,
        user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        sign_pub     TEXT NOT NULL,
        dh_pub       TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        revoked_at   BIGINT
      );
      CREATE INDEX devices_by_user ON devices(user_id);

      CREATE TABLE cloud_chats (
        id       BIGSERIAL PRIMARY KEY,
        user_a   TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_b   TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        next_seq BIGINT NOT NULL DEFAULT 1,
        CHECK (user_a <= user_b),
        UNIQUE (user_a, user_b)
      );
      CREATE INDEX cloud_chats_by_b ON cloud_chats(user_b);

      CREATE TABLE cloud_messages (
        chat_id          BIGINT NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        seq              BIGINT NOT NULL,
        id               TEXT COLLATE "C" NOT NULL UNIQUE,
        sender_id        TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sender_device_id TEXT COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        body             BYTEA NOT NULL,
        created_at       BIGINT NOT NULL,
        deleted          BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (chat_id, seq)
      );

      CREATE TABLE chat_reads (
        chat_id  BIGINT NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        user_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        read_seq BIGINT NOT NULL,
        PRIMARY KEY (chat_id, user_id)
      );

      CREATE TABLE user_updates (
        cursor  BIGSERIAL PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete')),
        chat_id BIGINT NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      );
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);

      CREATE TABLE envelopes (
        seq            BIGSERIAL PRIMARY KEY,
        id             TEXT COLLATE "C" NOT NULL,
        to_device_id   TEXT COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        from_device_id TEXT COLLATE "C" NOT NULL,
        from_user_id   TEXT COLLATE "C" NOT NULL,
        body           BYTEA NOT NULL,
        created_at     BIGINT NOT NULL,
        expires_at     BIGINT NOT NULL,
        UNIQUE (to_device_id, id)
      );
      CREATE INDEX envelopes_by_device ON envelopes(to_device_id, seq);
      CREATE INDEX envelopes_by_expiry ON envelopes(expires_at);
    `
  },
  {
    version: 2,
    name: 'secret requests and blobs',
    sql: `
      ALTER TABLE envelopes ADD COLUMN request_id TEXT COLLATE "C";
      CREATE INDEX envelopes_by_request ON envelopes(request_id) WHERE request_id IS NOT NULL;

      CREATE TABLE secret_requests (
        id                   TEXT COLLATE "C" PRIMARY KEY,
        from_device_id       TEXT COLLATE "C" NOT NULL,
        to_user_id           TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        claimed_by_device_id TEXT COLLATE "C",
        withdrawn            BOOLEAN NOT NULL DEFAULT FALSE,
        created_at           BIGINT NOT NULL,
        expires_at           BIGINT NOT NULL
      );
      CREATE INDEX secret_requests_by_expiry ON secret_requests(expires_at);

      CREATE TABLE blobs (
        id              TEXT COLLATE "C" PRIMARY KEY,
        owner_device_id TEXT COLLATE "C" NOT NULL,
        owner_user_id   TEXT COLLATE "C" NOT NULL,
        to_device_id    TEXT COLLATE "C" NOT NULL,
        size            BIGINT NOT NULL,
        created_at      BIGINT NOT NULL,
        expires_at      BIGINT NOT NULL
      );
      CREATE INDEX blobs_by_owner ON blobs(owner_user_id, expires_at);
      CREATE INDEX blobs_by_expiry ON blobs(expires_at);
    `
  },
  {
    version: 3,
    name: 'web push subscriptions and wake-ups',
    sql: `
      CREATE TABLE push_subscriptions (
        device_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        endpoint   TEXT NOT NULL,
        p256dh     TEXT NOT NULL,
        auth       TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE wakeups (
        id         BIGSERIAL PRIMARY KEY,
        device_id  TEXT COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        at         BIGINT NOT NULL,
        claimed_by TEXT,
        claimed_at BIGINT,
        UNIQUE (device_id, at)
      );
      CREATE INDEX wakeups_by_at ON wakeups(at);
    `
  },
  {
    version: 4,
    name: 'cloud media',
    sql: `
      CREATE TABLE cloud_media (
        id              TEXT COLLATE "C" PRIMARY KEY,
        owner_user_id   TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        owner_device_id TEXT COLLATE "C" NOT NULL,
        to_user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        meta            BYTEA NOT NULL,
        size            BIGINT NOT NULL,
        created_at      BIGINT NOT NULL,
        message_id      TEXT COLLATE "C" UNIQUE,
        ttl             BIGINT NOT NULL DEFAULT 0,
        opened_at       BIGINT,
        deadline        BIGINT,
        claimed_by      TEXT,
        claimed_at      BIGINT
      );
      CREATE INDEX cloud_media_by_deadline ON cloud_media(deadline) WHERE deadline IS NOT NULL;
      CREATE INDEX cloud_media_unattached ON cloud_media(created_at) WHERE message_id IS NULL;
    `
  },
  {
    version: 5,
    name: 'cloud media quota',
    sql: `
      CREATE INDEX cloud_media_by_owner ON cloud_media(owner_user_id);
    `
  },
  {
    version: 6,
    name: 'login backoff and known devices',
    sql: `
      CREATE TABLE login_throttle (
        key      TEXT COLLATE "C" PRIMARY KEY,
        failures INTEGER NOT NULL,
        next_at  BIGINT NOT NULL,
        last_at  BIGINT NOT NULL
      );
      CREATE INDEX login_throttle_by_last ON login_throttle(last_at);

      CREATE TABLE known_devices (
        user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT COLLATE "C" NOT NULL,
        last_at    BIGINT NOT NULL,
        PRIMARY KEY (user_id, token_hash)
      );
      CREATE INDEX known_devices_by_token ON known_devices(token_hash);
    `
  },
  {
    version: 7,
    name: 'account deletion',
    sql: `
      ALTER TABLE users ADD COLUMN deleted_at BIGINT;
      ALTER TABLE users ADD COLUMN away_months INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX users_auto_delete ON users(away_months) WHERE away_months > 0 AND deleted_at IS NULL;

      CREATE TABLE username_quarantine (
        username TEXT COLLATE "C" PRIMARY KEY,
        free_at  BIGINT NOT NULL
      );

      CREATE TABLE secret_contacts (
        device_a TEXT COLLATE "C" NOT NULL,
        device_b TEXT COLLATE "C" NOT NULL,
        last_at  BIGINT NOT NULL,
        PRIMARY KEY (device_a, device_b)
      );
      CREATE INDEX secret_contacts_by_b ON secret_contacts(device_b);

      ALTER TABLE envelopes ADD COLUMN notice TEXT;
    `
  },
  {
    version: 8,
    name: 'sealed sender',
    sql: `
      ALTER TABLE devices ADD COLUMN protocol INTEGER NOT NULL DEFAULT 1;

      CREATE TABLE mailboxes (
        id         TEXT COLLATE "C" PRIMARY KEY,
        device_id  TEXT COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        cap        BYTEA NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX mailboxes_by_device ON mailboxes(device_id);
      CREATE INDEX mailboxes_by_expiry ON mailboxes(expires_at);

      ALTER TABLE envelopes ALTER COLUMN from_device_id DROP NOT NULL;
      ALTER TABLE envelopes ALTER COLUMN from_user_id DROP NOT NULL;
      ALTER TABLE envelopes ADD COLUMN mailbox TEXT COLLATE "C";
      ALTER TABLE envelopes ADD CONSTRAINT envelopes_sender_pair CHECK ((from_device_id IS NULL) = (from_user_id IS NULL));
      ALTER TABLE envelopes ADD CONSTRAINT envelopes_sender_or_mailbox CHECK (from_device_id IS NOT NULL OR mailbox IS NOT NULL);

      ALTER TABLE blobs ALTER COLUMN owner_device_id DROP NOT NULL;
      ALTER TABLE blobs ALTER COLUMN owner_user_id DROP NOT NULL;
      ALTER TABLE blobs ADD CONSTRAINT blobs_owner_pair CHECK ((owner_device_id IS NULL) = (owner_user_id IS NULL));
      CREATE INDEX blobs_by_recipient ON blobs(to_device_id, expires_at);
    `
  },
  {
    version: 9,
    name: 'edited cloud messages',
    sql: `
      ALTER TABLE cloud_messages ADD COLUMN edited_at BIGINT;
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check CHECK (kind IN ('message', 'read', 'delete', 'edit'));
    `
  },
  {
    version: 10,
    name: 'cloud message reactions',
    sql: `
      CREATE TABLE cloud_reactions (
        message_id TEXT COLLATE "C" NOT NULL REFERENCES cloud_messages(id) ON DELETE CASCADE,
        user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        emoji      BYTEA NOT NULL,
        at         BIGINT NOT NULL,
        PRIMARY KEY (message_id, user_id)
      );
      -- A deleted message (for everyone, its media expired, its author's account gone) keeps no reaction.
      CREATE FUNCTION cloud_reactions_of_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM cloud_reactions WHERE message_id = NEW.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER cloud_reactions_of_deleted AFTER UPDATE OF deleted ON cloud_messages
        FOR EACH ROW WHEN (NEW.deleted) EXECUTE FUNCTION cloud_reactions_of_deleted();
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react'));
    `
  },
  {
    version: 11,
    name: 'cloud chat settings',
    sql: `
      -- Each member's own settings of a chat (pinned, muted), synced to that member's devices only.
      CREATE TABLE cloud_chat_settings (
        chat_id     BIGINT NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        pinned_at   BIGINT,
        muted_until BIGINT,
        PRIMARY KEY (user_id, chat_id)
      );
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings'));
    `
  },
  {
    version: 12,
    name: 'pinned cloud messages',
    sql: `
      -- Messages pinned in a chat, shared by both members; who pinned it, so their pins go with their account.
      CREATE TABLE cloud_pins (
        message_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cloud_messages(id) ON DELETE CASCADE,
        chat_id    BIGINT NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        pinned_by  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        at         BIGINT NOT NULL
      );
      CREATE INDEX cloud_pins_by_chat ON cloud_pins(chat_id, at);
      -- A deleted message (for everyone, its media expired, its author's account gone) keeps no pin.
      CREATE FUNCTION cloud_pins_of_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM cloud_pins WHERE message_id = NEW.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER cloud_pins_of_deleted AFTER UPDATE OF deleted ON cloud_messages
        FOR EACH ROW WHEN (NEW.deleted) EXECUTE FUNCTION cloud_pins_of_deleted();
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin'));
    `
  },
  {
    version: 13,
    name: 'blocked users',
    sql: `
      -- Each account's block list: who blocked whom, since when. Both sides go with either account.
      CREATE TABLE user_blocks (
        blocker_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        at         BIGINT NOT NULL,
        PRIMARY KEY (blocker_id, blocked_id),
        CHECK (blocker_id <> blocked_id)
      );
      CREATE INDEX user_blocks_by_blocked ON user_blocks(blocked_id);
    `
  },
  {
    version: 14,
    name: 'archived chats',
    sql: `
      -- Each member's own "archived" of a chat (out of the main list), beside their pin and mute.
      ALTER TABLE cloud_chat_settings ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
    `
  },
  {
    version: 15,
    name: 'cleared chat history',
    sql: `
      -- Each member's own "cleared up to seq" of a chat (history hidden from them only), and whether they
      -- deleted the chat (out of their list until a message after that seq).
      ALTER TABLE cloud_chat_settings ADD COLUMN cleared_seq BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE cloud_chat_settings ADD COLUMN removed BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin', 'clear'));
    `
  },
  {
    version: 16,
    name: 'chats marked as unread',
    sql: `
      -- Each member's own "marked as unread" of a chat (an unread badge without a number until they open it).
      ALTER TABLE cloud_chat_settings ADD COLUMN marked_unread BOOLEAN NOT NULL DEFAULT FALSE;
    `
  },
  {
    version: 17,
    name: 'scheduled messages',
    sql: `
      -- Messages a user scheduled in a cloud chat, sealed at rest like messages; sent (and deleted) when due.
      CREATE TABLE scheduled_messages (
        id               TEXT PRIMARY KEY,
        chat_id          BIGINT NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        sender_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        recipient_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sender_device_id TEXT NOT NULL,
        body             BYTEA NOT NULL,
        at               BIGINT NOT NULL,
        created_at       BIGINT NOT NULL,
        version          INTEGER NOT NULL DEFAULT 1,
        failed           TEXT
      );
      CREATE INDEX scheduled_by_sender ON scheduled_messages(sender_id, chat_id, at);
      CREATE INDEX scheduled_due ON scheduled_messages(at) WHERE failed IS NULL;
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check
        CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin', 'clear', 'scheduled'));
    `
  },
  {
    version: 18,
    name: 'profile photos',
    sql: `
      -- A profile photo per account: the version shown (NULL: none) and the last one given, never reused,
      -- so a version's URL can be cached for good. The bytes are sealed at rest, apart from the users rows.
      ALTER TABLE users ADD COLUMN photo BIGINT;
      ALTER TABLE users ADD COLUMN photo_version BIGINT NOT NULL DEFAULT 0;
      CREATE TABLE user_photos (
        user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        version BIGINT NOT NULL,
        type    TEXT NOT NULL,
        body    BYTEA NOT NULL
      );
      ALTER TABLE user_updates DROP CONSTRAINT user_updates_kind_check;
      ALTER TABLE user_updates ADD CONSTRAINT user_updates_kind_check CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin', 'clear', 'scheduled', 'profile'));
    `
  },
  {
    version: 19,
    name: 'last seen',
    sql: `
      -- When the user was last online (ms; set as their first socket opens and their last one closes
      -- anywhere), and who may see it exactly (docs/api.md "Last seen").
      ALTER TABLE users ADD COLUMN last_seen_at BIGINT;
      ALTER TABLE users ADD COLUMN last_seen_privacy TEXT NOT NULL DEFAULT 'chats' CHECK (last_seen_privacy IN ('everybody', 'chats', 'nobody'));
    `
  },
  {
    version: 20,
    name: 'scheduled files',
    sql: `
      -- An upload held by a scheduled message (its id: the message it becomes), kept from the unattached
      -- purge while that row exists; attached (and the hold cleared) when the message is sent.
      ALTER TABLE cloud_media ADD COLUMN scheduled_id TEXT COLLATE "C";
      CREATE UNIQUE INDEX cloud_media_by_scheduled ON cloud_media(scheduled_id) WHERE scheduled_id IS NOT NULL;
    `
  }
];
