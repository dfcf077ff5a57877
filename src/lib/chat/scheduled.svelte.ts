/**
 * The open cloud chat's scheduled messages (Telegram's "Schedule message"): the worker's list (held on
 * the device, read again from the relay when the chat opens), re-read when the worker says that chat's
 * scheduled messages changed (its 'scheduled' event: here, on another device of mine, or sent by the relay).
 * Scheduling takes the composer's text and reply; offline it is refused and the text stays.
 */
import { core, errorMessage, isUnreachable } from '$lib/worker/client';
import type { ScheduledView } from '$lib/worker/protocol';
import type { CloudWindow } from './cloud-window.svelte';

export { localInput, pickedTime } from './schedule-time';

/**
 * What the dialog is doing: scheduling the composer's text, the attach panel's file (`run` uploads and
 * schedules it: ./cloud-attach.svelte.ts), or changing one already scheduled.
 */
export type ScheduleTarget = { kind: 'new' } | { kind: 'file'; run: (at: number) => Promise<string | null> } | { kind: 'edit'; item: ScheduledView };

/** Offline, the worker's own words (which say what was kept), not the generic "can't reach". */
const said = (e: unknown) => (isUnreachable(e) && e instanceof Error ? e.message : errorMessage(e));

export class ChatScheduled {
  items = $state<ScheduledView[]>([]);
  /** The dialog's target while it is open. */
  dialog = $state<ScheduleTarget | null>(null);
  /** The Scheduled messages view is open. */
  listOpen = $state(false);
  private reads = 0;

  constructor(
    private readonly peerId: () => string,
    private readonly win: CloudWindow
  ) {}

  load = async (refresh = false) => {
    const read = ++this.reads;
    try {
      const items = await core().call('scheduledList', { peerId: this.peerId(), refresh });
      if (read === this.reads) this.items = items;
    } catch {
      // The list keeps what it had: the next change reads again.
    }
  };

  /** A chat shown: its list read from the device, then from the relay. */
  show = () => {
    this.items = [];
    this.listOpen = false;
    this.dialog = null;
    return this.load(true);
  };

  start(): () => void {
    return core().on((e) => {
      if (e.type === 'scheduled' && e.peerId === this.peerId()) void this.load();
      // Back online: what other devices or the relay did meanwhile.
      if (e.type === 'connection' && e.state === 'online') void this.load(true);
    });
  }

  /** The dialog's Schedule: the composer's text (and reply) at `at`; null when done, else the error to show in it. */
  schedule = async (at: number): Promise<string | null> => {
    const text = this.win.draft.trim();
    if (!text) return 'Write a message first.';
    const reply = this.win.actions.replyingTo;
    try {
      await core().call('scheduleMessage', { peerId: this.peerId(), text, at, ...(reply ? { replyTo: reply.id } : {}) });
    } catch (e) {
      // Offline or refused: the text stays in the composer.
      return said(e);
    }
    this.win.draft = '';
    this.win.actions.replyingTo = null;
    void this.win.drafts.flush();
    await this.load();
    return null;
  };

  edit = async (item: ScheduledView, text: string, at: number): Promise<string | null> => {
    const t = text.trim();
    // A file's caption may be emptied.
    if (!t && !item.media) return 'Write a message first.';
    try {
      await core().call('editScheduled', { id: item.id, ...(t !== item.text ? { text: t } : {}), at });
    } catch (e) {
      return said(e);
    }
    await this.load();
    return null;
  };

  remove = async (item: ScheduledView): Promise<string | null> => {
    try {
      await core().call('deleteScheduled', { id: item.id });
    } catch (e) {
      return said(e);
    }
    await this.load();
    return null;
  };

  sendNow = async (item: ScheduledView): Promise<string | null> => {
    try {
      await core().call('sendScheduledNow', { id: item.id });
    } catch (e) {
      await this.load(true);
      return said(e);
    }
    await this.load();
    return null;
  };
}
