/**
 * The storage contract's cloud-chat part (./types.ts composes the whole `Store`): chats, messages and
 * their update log, pins, and scheduled messages.
 */
import type {
  ChatRow,
  MessageRow,
  ReactionRow,
  PinRow,
  AppendedUpdate,
  UpdateRow,
  SendMessageInput,
  SendMessageResult,
  ChatSummaryRow,
  ChatSettingsChange,
  ChatSettingsRow,
  ScheduledRow
} from './records';

/** Cloud chats: chats, messages, read marks and the per-user update log. */
export interface CloudStore {
  getChat(userA: string, userB: string): Promise<ChatRow | null>;
  /**
   * Atomic and idempotent by message id: seq, message and one update row per member; and when the
   * recipient has the chat archived and not muted at `input.at`, it is unarchived with a 'settings'
   * update in their log (same transaction).
   */
  sendMessage(input: SendMessageInput): Promise<SendMessageResult>;
  /** Non-deleted messages with afterSeq < seq < before (or the newest), ascending, at most `limit`. */
  listMessages(chatId: number, before: number | null, limit: number, afterSeq?: number): Promise<MessageRow[]>;
  /**
   * The user's chats, their last message and unread count after the user's cleared seq; a chat the user
   * deleted (`removed`) is left out while it has no live message after that seq.
   */
  listChats(userId: string): Promise<ChatSummaryRow[]>;
  /**
   * `userId` clears their own history of the chat up to `upToSeq` (capped at the chat's last seq; never
   * lowered), and with `removed` deletes the chat from their list until a later message: one 'clear'
   * update (data `{ upTo, removed }`) in their log only, none when nothing changed. Same transaction.
   */
  clearForMe(chatId: number, userId: string, upToSeq: number, removed: boolean): Promise<{ clearedSeq: number; removed: boolean; updates: AppendedUpdate[] }>;
  /** `userId`'s cleared seq of the chat (0: never cleared). */
  getClearedSeq(chatId: number, userId: string): Promise<number>;
  /**
   * Raises the reader's read mark (monotonic, capped at the chat's last seq); when it moved, also takes
   * the reader's "marked as unread" off (a 'settings' update in their log, only when it was set).
   * Returns the new mark and the update rows appended, or null when nothing changed.
   */
  markRead(chatId: number, readerId: string, seq: number): Promise<{ seq: number; updates: AppendedUpdate[] } | null>;
  /**
   * Deletes the listed messages of the chat (unknown or already deleted ids are skipped), and the cloud
   * media rows attached to them (same transaction): their ids come back in `media` so the caller
   * removes the files.
   */
  deleteMessages(chatId: number, ids: string[]): Promise<{ ids: string[]; updates: AppendedUpdate[]; media?: string[] }>;
  /**
   * Deletes for both members every live message of the chat up to `upToSeq` (a whole history cleared;
   * capped at the chat's last seq, read in the same transaction: `upTo`), as deleteMessages does, in one
   * transaction with one 'delete' update row per member naming them all.
   */
  clearMessages(chatId: number, upToSeq: number): Promise<{ ids: string[]; upTo: number; updates: AppendedUpdate[]; media?: string[] }>;
  /** A message by id (deleted ones too, with `deleted` set), or null. */
  getMessage(id: string): Promise<MessageRow | null>;
  /**
   * Replaces the sealed body of message `id` of the chat and records `editedAt`, with one 'edit' update
   * row per member (same transaction). Null, changing nothing, when it is not there or deleted.
   */
  editMessage(chatId: number, id: string, body: Buffer, editedAt: number): Promise<{ updates: AppendedUpdate[] } | null>;
  /**
   * Sets `userId`'s reaction to message `id` of the chat (replacing theirs), or removes it (`emoji`
   * null), with one 'react' update row per member (same transaction). Null, changing nothing, when
   * the message is not there or deleted.
   */
  reactMessage(chatId: number, id: string, userId: string, emoji: Buffer | null, at: number): Promise<{ updates: AppendedUpdate[] } | null>;
  /**
   * Changes `userId`'s own settings of chat `chatId` (pinned at `at`), appending one 'settings' update
   * row to that user's log only (same transaction; none when nothing changed). 'too_many_pinned',
   * changing nothing, when a pin would make more than `maxPinned` of the user's chats pinned.
   */
  setChatSettings(
    chatId: number,
    userId: string,
    change: ChatSettingsChange,
    at: number,
    maxPinned: number
  ): Promise<{ settings: ChatSettingsRow; updates: AppendedUpdate[] } | 'too_many_pinned'>;
  /** `userId`'s own settings of chat `chatId` (neither pinned, muted, archived nor marked as unread when none are stored). */
  getChatSettings(chatId: number, userId: string): Promise<ChatSettingsRow>;
  /** The reactions to these messages (any order). */
  listReactions(messageIds: string[]): Promise<ReactionRow[]>;
  /** Update-log rows with cursor > after, ascending, at most `limit`. */
  listUpdates(userId: string, after: number, limit: number): Promise<UpdateRow[]>;
  getUpdate(cursor: number): Promise<UpdateRow | null>;
  latestCursor(userId: string): Promise<number>;
}

/** Messages pinned in cloud chats, shared by both members (../cloud-pins.ts; SQLite/PG migration 12). */
export interface CloudPinStore {
  /**
   * Pins (`pinned`) or unpins message `id` of chat `chatId` for both members, with one 'pin' update row
   * per member (same transaction). A pin of a pinned message keeps its time and an unpin of one that is
   * not pinned changes nothing (no update). Null, changing nothing, when the message is not there or
   * deleted; 'too_many_pinned' when a pin would make more than `max` pinned messages in the chat. A
   * deleted message loses its pin (a trigger, as its reactions).
   */
  pinMessage(chatId: number, id: string, userId: string, pinned: boolean, at: number, max: number): Promise<{ updates: AppendedUpdate[] } | 'too_many_pinned' | null>;
  /** The chat's pinned messages, newest pin first. */
  listPins(chatId: number): Promise<PinRow[]>;
}

/** Scheduled messages of cloud chats, per sender (../cloud-scheduled.ts; SQLite/PG migration 17). */
export interface ScheduledStore {
  /**
   * Stores a scheduled message of `row.senderId` to `peerId` (the chat is created when there is none yet)
   * with a 'scheduled' update in the sender's log (same transaction). Idempotent by id (`created` false:
   * the sender's own row of this chat). 'id_conflict' when the id is another's row or a message's;
   * 'too_many' when the sender already has `max` scheduled in this chat. `mediaId`: the sender's upload to
   * `peerId` (unattached, not held) held for it (migration 20), else 'media_unavailable'.
   */
  createScheduled(
    row: Omit<ScheduledRow, 'chatId' | 'version' | 'failed'>,
    peerId: string,
    max: number,
    mediaId?: string
  ): Promise<{ created: boolean; row: ScheduledRow; updates: AppendedUpdate[] } | 'too_many' | 'id_conflict' | 'media_unavailable'>;
  getScheduled(id: string): Promise<ScheduledRow | null>;
  /** The sender's scheduled messages of the chat, earliest `at` first. */
  listScheduled(senderId: string, chatId: number): Promise<ScheduledRow[]>;
  /**
   * Changes the sender's row (a new sealed body and/or time), bumps its version and clears a failure,
   * with a 'scheduled' update in the sender's log. Null when there is no such row of theirs.
   */
  editScheduled(id: string, senderId: string, change: { body?: Buffer; at?: number }): Promise<{ row: ScheduledRow; updates: AppendedUpdate[] } | null>;
  /** Deletes the sender's row and the upload it held (its id in `media`: the caller removes the file), with a 'scheduled' update. Null when none. */
  deleteScheduled(id: string, senderId: string): Promise<{ updates: AppendedUpdate[]; media: string[] } | null>;
  /** Rows due at `now` (at <= now) and not failed, earliest first, at most `limit`. */
  dueScheduled(now: number, limit: number): Promise<ScheduledRow[]>;
  /** The earliest `at` of a row not failed; null when none. */
  nextScheduledAt(): Promise<number | null>;
  /**
   * Records why row `id` (still at `version`) was not sent, replacing an older reason, bumping its version,
   * with a 'scheduled' update; null when it changed meanwhile or already failed for that same reason.
   */
  failScheduled(id: string, version: number, reason: string): Promise<{ updates: AppendedUpdate[] } | null>;
}
