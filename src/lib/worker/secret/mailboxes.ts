/**
 * This device's receive mailboxes (protocol 2). A version-2 chat's peer posts to a mailbox derived
 * from the chat's receive seed and the UTC day (epoch); this device registers the mailboxes of the
 * epochs e-1 … e+2 of every active version-2 chat at the relay (authenticated: the relay learns only
 * that this device owns them) and keeps mailbox id → (chat, epoch) locally, so a sealed envelope finds
 * its chat. Registered when a chat is established, on engine start and about twice a day; dropped when
 * the chat ends (chats.ts), and forgotten locally once the relay can hold no envelope for them.
 */
import { toB64u } from '$lib/api/b64';
import { MAILBOX_LIMITS } from '$lib/api/wire';
import { EPOCH_MS, epochOf } from '$lib/crypto';
import type { MailboxRow } from '$lib/store/db';
import type { Chats } from './chats';
import { readSession } from './ratchet';
import type { MailboxRegistration } from './relay';
import { recvKeys, wipeKeys } from './sealed';
import { openState, wipeState } from './stored';
import { announceProtocol } from '../protocol-announce';
import { recordProblem } from './diagnostics';

/** Epochs registered around the current one: a day back, two ahead (clock skew, a device offline for a day). */
const BEHIND = 1;
const AHEAD = 2;
/** A scheduled refresh runs when the last one is this old. */
const REFRESH_MS = 12 * 3600_000;
/** Checks of the refresh's meta row at most this often (pull and flush ask on every run). */
const CHECK_MS = 60_000;

/** How long a sealed post refused as 'not_found' (no such mailbox yet) is tried again before it fails. */
export const SEALED_WAIT_MS = 4 * EPOCH_MS;

/** When the relay forgets a mailbox of `epoch`: a day after the epoch ends. */
export const mailboxExpiry = (epoch: number) => (epoch + 2) * EPOCH_MS;

/**
 * How long a mailbox stays in the local table after that: a post made just before it expired stays
 * queued at the relay for the envelope lifetime (ENVELOPE_TTL_DAYS, 7 by default), plus a day of
 * clock skew. Forgotten sooner, such a post would be rejected as unknown_chat (and acknowledged: lost).
 */
export const MAILBOX_KEEP_MS = 8 * EPOCH_MS;

/** A mailbox to register, and the row that routes to it once registered. */
type Fresh = { reg: MailboxRegistration; row: MailboxRow };

export class Mailboxes {
  private running: Promise<void> | null = null;
  private checkedAt = 0;

  constructor(private readonly chats: Chats) {}

  /**
   * Registers a chat's receive mailboxes for e-1 … e+2 (all of them with `force`, else those not
   * registered yet). Nothing for a version-1 or inactive chat. Throws what the relay throws.
   */
  async register(chatId: string, now = Date.now(), force = false): Promise<void> {
    await this.store(await this.collect(chatId, now, force));
  }

  /** A chat's mailboxes to register (see register), derived from its receive seed; the keys are wiped. */
  private async collect(chatId: string, now: number, force: boolean): Promise<Fresh[]> {
    const { ctx } = this.chats;
    const { db } = ctx;
    const row = await db.secretChats.get(chatId);
    if (!row || row.status !== 'active') return [];
    const known = force ? new Set<number>() : new Set((await db.mailboxes.where('chatId').equals(chatId).toArray()).map((m) => m.epoch));
    const e = epochOf(now);
    const fresh: Fresh[] = [];
    const { state } = await openState(ctx.vault, chatId, row.box);
    try {
      if (!state.session) return [];
      readSession(state.session, (session) => {
        for (let epoch = e - BEHIND; epoch <= e + AHEAD; epoch++) {
          if (known.has(epoch)) continue;
          const keys = recvKeys(session, epoch);
          if (!keys) return; // version 1
          const id = toB64u(keys.mailbox);
          const expiresAt = mailboxExpiry(epoch);
          fresh.push({ reg: { id, cap: toB64u(keys.cap), expiresAt }, row: { id, chatId, epoch, expiresAt } });
          wipeKeys(keys);
        }
      });
    } finally {
      wipeState(state);
    }
    return fresh;
  }

  /**
   * Registers mailboxes at the relay (several chats' in one call), then remembers those of chats still
   * active. An id the relay says another device holds is that chat's problem alone (see taken()).
   */
  private async store(fresh: Fresh[]): Promise<void> {
    const { relay, ctx } = this.chats;
    const { db } = ctx;
    for (let i = 0; i < fresh.length; i += MAILBOX_LIMITS.perCall) {
      const part = fresh.slice(i, i + MAILBOX_LIMITS.perCall);
      const conflicts = new Set(await relay.registerMailboxes(part.map((f) => f.reg)));
      // A chat may have ended meanwhile: then its mailboxes go again.
      const gone = await db.transaction('rw', db.secretChats, db.mailboxes, async () => {
        const out: string[] = [];
        for (const f of part) {
          if (conflicts.has(f.row.id)) continue;
          if ((await db.secretChats.get(f.row.chatId))?.status === 'active') await db.mailboxes.put(f.row);
          else out.push(f.row.id);
        }
        return out;
      });
      if (gone.length) await relay.dropMailboxes(gone).catch(() => undefined);
      if (conflicts.size) await this.taken(part.filter((f) => conflicts.has(f.row.id)).map((f) => f.row));
    }
  }

  /**
   * Mailboxes the relay keeps for another device: only the chat's peer (or the relay) can derive their
   * ids, so one of them took it. Not stored here, so tried again at the next refresh (a squat lapses
   * within 4 days); until then the peer's posts of that day cannot reach this device, as with any
   * mailbox not registered (§15.5). Logged and shown in the diagnostics, once per chat.
   */
  private async taken(rows: MailboxRow[]): Promise<void> {
    for (const chatId of new Set(rows.map((r) => r.chatId))) {
      const epochs = rows.filter((r) => r.chatId === chatId).map((r) => r.epoch);
      console.warn('cinder secret: a receive mailbox of a chat is held by another device at the relay', { chatId, epochs });
      await recordProblem(this.chats.ctx, 'mailbox_taken').catch(() => undefined);
    }
  }

  /**
   * Tells the relay this device speaks protocol 2 (once, and again after PROTOCOL_EPOCHS), forgets
   * mailboxes past MAILBOX_KEEP_MS and registers those of every active chat (all again with `force`:
   * the engine's start, in case the relay lost them). One run at a time; a failure is thrown (the next
   * run retries).
   */
  refresh(force = false, now = Date.now()): Promise<void> {
    this.running ??= this.run(force, now).finally(() => (this.running = null));
    return this.running;
  }

  /** Runs refresh() if the last one is older than REFRESH_MS (asked on every pull and flush). */
  async refreshIfDue(now = Date.now()): Promise<void> {
    if (this.running || now - this.checkedAt < CHECK_MS) return;
    this.checkedAt = now;
    const at = (await this.chats.ctx.db.meta.get('mailboxesAt'))?.value;
    if (typeof at === 'number' && at <= now && now - at < REFRESH_MS) return;
    await this.refresh(false, now);
  }

  private async run(force: boolean, now: number): Promise<void> {
    const { db } = this.chats.ctx;
    await this.announce(now);
    await db.mailboxes
      .where('expiresAt')
      .belowOrEqual(now - MAILBOX_KEEP_MS)
      .delete();
    // All chats' mailboxes in as few calls as possible: fewer requests, and less to tell them apart by.
    const fresh: Fresh[] = [];
    for (const row of await db.secretChats.toArray()) {
      if (row.status === 'active') fresh.push(...(await this.collect(row.id, now, force).catch(() => [])));
    }
    await this.store(fresh);
    await db.meta.put({ key: 'mailboxesAt', value: now });
    this.checkedAt = now;
  }

  /** Protocol support, told to the relay (see protocol-announce.ts). */
  private announce(now: number): Promise<void> {
    return announceProtocol(this.chats.ctx.db, (v) => this.chats.relay.setProtocol(v), now);
  }
}
