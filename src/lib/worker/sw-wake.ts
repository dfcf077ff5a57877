/**
 * The service worker's wakes (push, Background Sync, the purge of any other event), apart from the
 * service worker's own file so tests can run them: what it needs of its scope is passed in.
 */
import type { CinderDB } from '$lib/store/db';
import { backgroundWake, purgeAndShare, type Notice, type WakeKind } from './background';
import { dataChannel } from './data-channel';

export interface SwScope {
  db(): CinderDB;
  /** The app's windows (clients.matchAll, controlled or not). */
  windows(): Promise<readonly { focused: boolean; postMessage(message: unknown): void }[]>;
  notifications: Pick<ServiceWorkerRegistration, 'showNotification' | 'getNotifications'>;
  /** The event's waitUntil: keeps the service worker alive for work after the notices are shown. */
  extend(work: Promise<void>): void;
}

/** Deletes what expired (deadlines are in clear: no key needed, locked or not) and announces it. */
export async function purge(sw: Pick<SwScope, 'db'>): Promise<void> {
  const channel = dataChannel();
  try {
    await purgeAndShare(sw.db(), channel);
  } catch (e) {
    console.warn('cinder sw: purge failed', e);
  } finally {
    channel?.close();
  }
}

async function tellWindows(sw: SwScope) {
  const windows = await sw.windows();
  for (const w of windows) w.postMessage({ type: 'cinder-wake' });
  return windows;
}

const queued = async (db: CinderDB) => (await db.outbox.count()) + (await db.sendQueue.count());

/**
 * Background Sync: the outboxes (cloud and secret) go out once connectivity returns. Pages register
 * the sync on every send (see requestBackgroundSync), so it usually finds the queues already emptied
 * by the app: then it does nothing. What still waits afterwards makes the event fail, so the browser
 * tries again later instead of dropping the registration. What the wake fetched on the way is shown
 * as a push shows it, while no window is focused (a sync needs no notice, so none if nothing came).
 */
export async function onSync(sw: SwScope): Promise<void> {
  await purge(sw);
  if (!(await queued(sw.db()))) return;
  const notices = await backgroundWake('sync', sw.extend);
  const windows = await tellWindows(sw);
  if (notices.length && !windows.some((w) => w.focused)) await showNotices(sw, notices);
  if (await queued(sw.db())) throw new Error('cinder sw: messages still wait to be sent');
}

/**
 * Pushes carry no content: the relay only says that something is waiting ("envelope", "update")
 * or that a self-destruct deadline arrived ("wake"). We fetch and process what is pending with
 * the same core as the app, then notify.
 *
 * Every push ends with a notification shown, even while a Cinder window is focused. Cinder
 * subscribes with userVisibleOnly, and Safari (iOS and macOS) counts each push that shows none and,
 * at the third, removes the subscription for good, with no event telling the app; a focused page
 * is no excuse there. Chrome tolerates a few silent pushes, then shows its own "updated in the
 * background" notice. What an iPhone user sees: a banner for each new message while Cinder is
 * closed; and, when there is nothing to read (a read receipt, a timer that ran out, or Cinder is
 * already open and shows it), a quiet notice closed at once.
 */
export async function onPush(sw: SwScope, data: string): Promise<void> {
  let kind: WakeKind = 'sync';
  try {
    const t = (JSON.parse(data) as { t?: unknown }).t;
    if (t === 'envelope' || t === 'update' || t === 'wake') kind = t;
  } catch {
    /* an empty or foreign payload: check everything */
  }
  let notices: Notice[] = [];
  try {
    await purge(sw);
    const windows = await sw.windows();
    const focused = windows.some((w) => w.focused);
    // An open app has its own connection; it only needs a nudge.
    notices = focused ? [] : await backgroundWake(kind, sw.extend);
    await tellWindows(sw);
  } finally {
    // Shown whatever went wrong above: a push without a notification costs the subscription.
    await showNotices(sw, notices);
    if (!notices.length) await quietNotice(sw);
  }
}

/** The notices of a wake. Secret content never reaches them (background.ts). */
async function showNotices(sw: SwScope, notices: Notice[]) {
  for (const n of notices) {
    await sw.notifications
      .showNotification(n.title, { body: n.body, tag: n.tag, data: { url: n.url }, icon: '/icons/icon-192.png', badge: '/icons/icon-192.png' })
      .catch((e) => console.warn('cinder sw: notification failed', e));
  }
}

/** The notice a push requires when there is nothing to read, taken away again at once. */
async function quietNotice(sw: SwScope) {
  await sw.notifications
    .showNotification('Cinder', {
      body: 'Cinder is up to date.',
      // One fixed tag: these replace each other instead of piling up.
      tag: 'cinder-maintenance',
      silent: true,
      icon: '/icons/icon-192.png'
    })
    .catch((e) => console.warn('cinder sw: notification failed', e));
  // Nothing for the user to read (a receipt, a timer that ran out, or the open app already shows
  // it): take the required notice away again. A lock screen never learns that a timer fired.
  for (const n of await sw.notifications.getNotifications({ tag: 'cinder-maintenance' })) n.close();
}
