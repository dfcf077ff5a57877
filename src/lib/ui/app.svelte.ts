/**
 * App-wide reactive state the layout keeps in step with the worker's events.
 */
import type { UpdatePhase } from '$lib/pwa/update-flow';
import type { ConnectionState, SessionView } from '$lib/worker/protocol';

export const app = $state<{
  ready: boolean;
  session: SessionView | null;
  connection: ConnectionState;
  /** Messages waiting to be sent (shown with the connection state). */
  queued: number;
  /** Cloud edits, reactions, pins of messages, deletes and chat settings taken offline, waiting to be sent (shown with them). */
  queuedActions: number;
  /** A new version of the app waits (the user may reload into it), or took over and this page is the old one. */
  update: UpdatePhase;
  /** A secret chat's state was written by a newer version: this tab should update (see UpdateFlow.needed). */
  outdated: boolean;
  notice: string | null;
  /** The passcode lock is closed: only the lock screen shows. */
  locked: boolean;
  hasPasscode: boolean;
}>({ ready: false, session: null, connection: 'offline', queued: 0, queuedActions: 0, update: 'none', outdated: false, notice: null, locked: false, hasPasscode: false });
