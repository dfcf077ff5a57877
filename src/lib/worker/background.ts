/**
 * What the service worker does while no Cinder page is open: the same core as the page's worker
 * (same database, vault, crypto and per-chat locks), run for one wake-up. Secret envelopes are
 * decrypted and stored here, so a message read later was already ratcheted and acknowledged.
 */
import { detectBackend, type CryptoBackend, type Identity } from '$lib/crypto';
import { z } from '$lib/api/zod';
import { Envelope } from '$lib/api/wire';
import { openStore, type CinderDB } from '$lib/store/db';
import { purgeExpired } from '$lib/store/purge';
import { unmutedNotices } from './chat-settings';
import { pullUpdates, type Fresh } from './cloud-sync';
import { cloudEvents, dataChannel, purgeEvents, share } from './data-channel';
import { loadIdentity } from './identity';
import { NetError, request } from './net';
import { flushOutbox } from './outbox';
import { loadPrefs } from './prefs';
import type { SessionView } from './protocol';
import { SecretEngine } from './secret';
import { WAKE_SEND_BACKGROUND_MAX_MS } from './secret/jitter';

export type WakeKind = 'envelope' | 'update' | 'wake' | 'sync';

export interface Notice {
  title: string;
  body: string;
  tag: string;
  url: string;
  /** The chat it is about: none is shown while that chat is muted (./chat-settings.ts). */
  chat?: { kind: 'cloud' | 'secret'; id: string };
}

/**
 * Locked: no key here to decrypt with. Envelopes are fetched and kept exactly as the relay sent
 * them (ciphertext) and acknowledged, so the relay can drop them; the app handles them after unlock.
 */
async function holdWhileLocked(db: CinderDB, kind: WakeKind): Promise<Notice[]> {
  if (kind === 'update') return [{ title: 'Cinder', body: 'New messages', tag: 'cinder-locked', url: '/' }];
  try {
    const { envelopes } = await request('GET', '/api/envelopes', undefined, z.object({ envelopes: z.array(Envelope) }));
    if (!envelopes.length) return [];
    await db.lockedInbox.bulkPut(envelopes.map((e) => ({ id: e.id, seq: e.seq, envelope: e, at: Date.now() })));
    await request('POST', '/api/envelopes/ack', { upTo: envelopes[envelopes.length - 1].seq }, null);
    return [{ title: 'Cinder', body: 'New secret message', tag: 'cinder-locked', url: '/' }];
  } catch (e) {
    if (!(e instanceof NetError)) console.warn('cinder sw:', e instanceof Error ? `${e.name}: ${e.message}` : e);
    return [];
  }
}

/**
 * Deletes what expired and says so, as PurgeTimer.arm does: on the data channel (a page frozen in the
 * background finds nothing left to purge when it wakes, so only this tells it to drop what it shows)
 * and to the relay (the attachments' copies, best effort: it drops them after a week anyway).
 */
export async function purgeAndShare(db: CinderDB, channel: BroadcastChannel | null): Promise<void> {
  const purged = await purgeExpired(db);
  for (const e of purgeEvents(purged)) share(channel, e);
  await Promise.all(purged.blobs.map((id) => request('DELETE', `/api/blobs/${encodeURIComponent(id)}`, undefined, null).catch(() => undefined)));
}

/**
 * One wake. Its notices are returned as soon as they are known; what must still run (wake-up slots
 * registered after a random delay) is handed to `extend` (the event's waitUntil), or awaited here.
 */
export async function backgroundWake(kind: WakeKind, extend?: (work: Promise<void>) => void): Promise<Notice[]> {
  const { db, vault } = await openStore();
  // An open page shows what this wake stores only if told (./data-channel.ts): a Background Sync
  // fires while the app is open too, and its rows were never announced to the chat on screen.
  const channel = dataChannel();
  let rest: Promise<void> = Promise.resolve();
  try {
    await purgeAndShare(db, channel);
    const session = (await db.meta.get('session'))?.value as SessionView | undefined;
    if (!session || kind === 'wake') return [];
    if (!vault) return await holdWhileLocked(db, kind);
    const prefs = await loadPrefs(db);
    let backend: Promise<CryptoBackend> | null = null;
    let identity: Identity | null = null;
    const engine = new SecretEngine({
      db,
      vault,
      backend: () => (backend ??= detectBackend()),
      identity: async () => (identity ??= await loadIdentity(db, vault, await (backend ??= detectBackend()))),
      me: () => ({ userId: session.user.id, deviceId: session.device.id }),
      emit: (e) => share(channel, e)
    });
    const notices: Notice[] = [];
    try {
      if (kind !== 'update') {
        const received = await engine.pull();
        for (const [chatId, n] of received.chats) {
          const chat = await db.secretChats.get(chatId);
          // Secret content never reaches a notification, not even the sender's name.
          notices.push({
            title: 'Cinder',
            body: n > 1 ? `${n} new secret messages` : 'New secret message',
            tag: `secret-${chatId}`,
            url: `/secret/${chat?.id ?? chatId}`,
            chat: { kind: 'secret', id: chatId }
          });
        }
        await engine.flush();
      }
      if (kind !== 'envelope') {
        const fresh: Fresh[] = [];
        await pullUpdates(db, vault, session.user.id, (a) => {
          fresh.push(...a.fresh);
          for (const e of cloudEvents(a)) share(channel, e);
        });
        await flushOutbox(
          db,
          vault,
          (peerId, peerChanged) => {
            for (const e of cloudEvents({ changed: new Set([peerId]), peers: new Set(peerChanged ? [peerId] : []), list: true })) share(channel, e);
          },
          // A forward refused for good: an open page's banner says why.
          (text) => share(channel, { type: 'notice', text })
        );
        const byPeer = new Map<string, Fresh[]>();
        for (const f of fresh) byPeer.set(f.peer.id, [...(byPeer.get(f.peer.id) ?? []), f]);
        for (const [peerId, list] of byPeer) {
          const last = list[list.length - 1];
          notices.push({
            title: last.peer.displayName,
            body: prefs.hidePreviews ? (list.length > 1 ? `${list.length} new messages` : 'New message') : last.text,
            tag: `chat-${peerId}`,
            url: `/chat/${peerId}`,
            chat: { kind: 'cloud', id: peerId }
          });
        }
      }
    } catch (e) {
      // Offline or revoked: nothing to do until the app opens; never let a wake-up throw.
      if (!(e instanceof NetError)) console.warn('cinder sw:', e instanceof Error ? `${e.name}: ${e.message}` : e);
    }
    // The pull may have started timers (a read receipt back-dates my copy's deadline, often already
    // past): purged now, not at the next wake. Those still ahead get their wake-up slots before the
    // service worker ends, which no timer of the engine outlives (docs/timers.md).
    await purgeAndShare(db, channel).catch((e) => console.warn('cinder sw: purge failed', e));
    rest = engine
      .registerWakeups(WAKE_SEND_BACKGROUND_MAX_MS)
      .catch(() => undefined)
      .finally(() => engine.stop());
    // A muted chat's messages raise none (a push then shows the quiet notice: sw-wake.ts).
    return await unmutedNotices(db, notices, Date.now());
  } finally {
    const end = rest.finally(() => {
      channel?.close();
      db.close();
    });
    if (extend) extend(end);
    else await end;
  }
}
