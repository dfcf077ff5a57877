/**
 * SQLite schema, as numbered migrations (1–12 in ./migrations-1-12.ts). Append new entries; never edit
 * an applied one.
 * Each runs in the same transaction as the row recording it in `migrations`.
 */
import type { Migration } from '../types';
import { MIGRATIONS_1_12 } from './migrations-1-12';

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [
  ...MIGRATIONS_1_12,
  {
    version: 13,
    name: 'blocked users',
    sql: `
      -- Each account's block list: who blocked whom, since when. Both sides go with either account.
      CREATE TABLE user_blocks (
        blocker_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        at         INTEGER NOT NULL,
        PRIMARY KEY (blocker_id, blocked_id),
        CHECK (blocker_id <> blocked_id)
      ) STRICT;
      CREATE INDEX user_blocks_by_blocked ON user_blocks(blocked_id);
    `
  },
  {
    version: 14,
    name: 'archived chats',
    sql: `
      -- Each member's own "archived" of a chat (out of the main list), beside their pin and mute.
      ALTER TABLE cloud_chat_settings ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
    `
  },
  {
    version: 15,
    name: 'cleared chat history',
    sql: `
      -- Each member's own "cleared up to seq" of a chat (history hidden from them only), and whether they
      -- deleted the chat (out of their list until a message after that seq).
      ALTER TABLE cloud_chat_settings ADD COLUMN cleared_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE cloud_chat_settings ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;

      -- The update log takes a new kind, 'clear' (rebuilt as in migration 9).
      CREATE TABLE user_updates_v15 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin', 'clear')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v15 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v15';
      UPDATE sqlite_sequence SET name = 'user_updates_v15' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v15 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  },
  {
    version: 16,
    name: 'chats marked as unread',
    sql: `
      -- Each member's own "marked as unread" of a chat (an unread badge without a number until they open it).
      ALTER TABLE cloud_chat_settings ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
    `
  },
  {
    version: 17,
    name: 'scheduled messages',
    sql: `
      -- Messages a user scheduled in a cloud chat, sealed at rest like messages; sent (and deleted) when due.
      CREATE TABLE scheduled_messages (
        id               TEXT PRIMARY KEY,
        chat_id          INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        sender_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        recipient_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sender_device_id TEXT NOT NULL,
        body             BLOB NOT NULL,
        at               INTEGER NOT NULL,
        created_at       INTEGER NOT NULL,
        version          INTEGER NOT NULL DEFAULT 1,
        failed           TEXT
      ) STRICT;
      CREATE INDEX scheduled_by_sender ON scheduled_messages(sender_id, chat_id, at);
      CREATE INDEX scheduled_due ON scheduled_messages(at) WHERE failed IS NULL;

      -- The update log takes a new kind, 'scheduled' (rebuilt as in migration 15).
      CREATE TABLE user_updates_v17 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin', 'clear', 'scheduled')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v17 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v17';
      UPDATE sqlite_sequence SET name = 'user_updates_v17' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v17 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  },
  {
    version: 18,
    name: 'profile photos',
    sql: `
      -- A profile photo per account: the version shown (NULL: none) and the last one given, never reused,
      -- so a version's URL can be cached for good. The bytes are sealed at rest, apart from the users rows.
      ALTER TABLE users ADD COLUMN photo INTEGER;
      ALTER TABLE users ADD COLUMN photo_version INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE user_photos (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        type    TEXT NOT NULL,
        body    BLOB NOT NULL
      ) STRICT;

      -- The update log takes a new kind, 'profile' (rebuilt as in migration 9).
      CREATE TABLE user_updates_v18 (
        cursor  INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL CHECK (kind IN ('message', 'read', 'delete', 'edit', 'react', 'settings', 'pin', 'clear', 'scheduled', 'profile')),
        chat_id INTEGER NOT NULL REFERENCES cloud_chats(id) ON DELETE CASCADE,
        data    TEXT NOT NULL
      ) STRICT;
      INSERT INTO user_updates_v18 (cursor, user_id, kind, chat_id, data) SELECT cursor, user_id, kind, chat_id, data FROM user_updates;
      DELETE FROM sqlite_sequence WHERE name = 'user_updates_v18';
      UPDATE sqlite_sequence SET name = 'user_updates_v18' WHERE name = 'user_updates';
      DROP TABLE user_updates;
      ALTER TABLE user_updates_v18 RENAME TO user_updates;
      CREATE INDEX user_updates_by_user ON user_updates(user_id, cursor);
    `
  },
  {
    version: 19,
    name: 'last seen',
    sql: `
      -- When the user was last online (ms; set as their first socket opens and their last one closes
      -- anywhere), and who may see it exactly (docs/api.md "Last seen").
      ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
      ALTER TABLE users ADD COLUMN last_seen_privacy TEXT NOT NULL DEFAULT 'chats' CHECK (last_seen_privacy IN ('everybody', 'chats', 'nobody'));
    `
  },
  {
    version: 20,
    name: 'scheduled files',
    sql: `
      -- An upload held by a scheduled message (its id: the message it becomes), kept from the unattached
      -- purge while that row exists; attached (and the hold cleared) when the message is sent.
      ALTER TABLE cloud_media ADD COLUMN scheduled_id TEXT;
      CREATE UNIQUE INDEX cloud_media_by_scheduled ON cloud_media(scheduled_id) WHERE scheduled_id IS NOT NULL;
    `
  }
];
