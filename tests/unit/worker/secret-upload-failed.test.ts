import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { DB_NAME, openStore, type CinderDB, type SecretMessageRow } from '$lib/store/db';
import type { WorkerEvent } from '$lib/worker/protocol';
import { secretMessages } from '$lib/worker/secret';
import { failDeadUploads, whileUploading } from '$lib/worker/secret-uploads';
import type { SecretRelay } from '$lib/worker/secret/relay';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretDevice, secretPair } from '../support/secret-pair';
import { unlockedStore } from '../support/store';

// The engine reaches the relay only through its injected SecretRelay: any direct HTTP call fails here.
vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

/** A relay whose uploads first wait for `upload` (a test's hook), and that lists what was uploaded. */
class HookedRelay extends FakeRelay {
  upload: (() => Promise<void>) | null = null;
  readonly uploaded: string[] = [];
  as(deviceId: string): SecretRelay {
    const base = super.as(deviceId);
    return {
      ...base,
      uploadBlob: async (blob, to, progress) => {
        await this.upload?.();
        const id = await base.uploadBlob(blob, to, progress);
        this.uploaded.push(id);
        return id;
      }
    };
  }
}

const { established } = secretPair('secret-upload-failed');
const file = () => crypto.getRandomValues(new Uint8Array(2000));
/** The device's one file message (service notices are stored 'read'). */
async function fileRow(db: CinderDB) {
  const rows = (await db.secretMessages.toArray()).filter((m) => m.mine && m.status !== 'read');
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** A secret file is never left "sending" for good: a failure after its row is shown marks it failed. */
describe('a secret file whose send cannot finish', () => {
  it('the chat ends during the upload: failed, and the relay copy no one will fetch is deleted', async () => {
    const relay = new HookedRelay();
    const { alice, chatId } = await established({ relay });
    // As the relay's notice that the peer's account was deleted does (account-deleted.ts).
    relay.upload = async () => void (await alice.db.secretChats.update(chatId, { status: 'cancelled', cancelledBy: 'peer' }));
    await expect(alice.engine.sendFile(chatId, 'a.pdf', 'application/pdf', file(), '')).rejects.toThrow();
    expect((await fileRow(alice.db)).status).toBe('failed');
    expect(relay.uploaded).toHaveLength(1);
    expect(relay.hasBlob(relay.uploaded[0])).toBe(false);
  });

  it('deleted while it uploads: not brought back, not sent, its relay copy deleted, no error', async () => {
    const relay = new HookedRelay();
    const { alice, chatId } = await established({ relay });
    let release: () => void = () => undefined;
    let uploading: () => void = () => undefined;
    const started = new Promise<void>((r) => (uploading = r));
    relay.upload = () => (uploading(), new Promise<void>((r) => (release = r)));
    const sending = alice.engine.sendFile(chatId, 'a.pdf', 'application/pdf', file(), '');
    await started;
    const { id } = await fileRow(alice.db);
    await alice.engine.deleteForMe(chatId, [id]);
    const queued = await alice.db.sendQueue.count();
    release();
    await expect(sending).resolves.toBe(id);
    expect(await alice.db.secretMessages.get(id)).toBeUndefined();
    expect(await alice.db.secretMedia.get(id)).toBeUndefined();
    expect(await alice.db.sendQueue.count()).toBe(queued);
    expect(relay.uploaded).toHaveLength(1);
    expect(relay.hasBlob(relay.uploaded[0])).toBe(false);
  });

  it('a sent file leaves nothing behind that a later start would fail', async () => {
    const { relay, alice, bob, chatId } = await established();
    // A name that would render as another ("a\u202Efdp.exe" shows as "aexe.pdf"): both sides show it defused.
    const id = await alice.engine.sendFile(chatId, 'a\u202Efdp.exe', 'application/pdf', file(), '');
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await alice.db.secretMessages.get(id))?.status).toBe('sent');
    for (const d of [alice, bob]) {
      const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 10 });
      expect(messages.flatMap((m) => (m.kind === 'service' || !m.file ? [] : [m.file.name]))).toEqual(['a\uFFFDfdp.exe']);
    }
    expect(await alice.db.meta.where('key').startsWith('secretUpload:').count()).toBe(0);
  });

  it('the worker dies mid-upload: the next worker start marks it failed, not one whose upload still runs', async () => {
    vi.stubGlobal('addEventListener', () => {});
    const relay = new HookedRelay();
    // Alice on the database a worker opens (Core uses the default name).
    const alice = await secretDevice(relay, DB_NAME, 'alice', { userId: 'u-alice', deviceId: 'd-alice' });
    const bob = await secretDevice(relay, 'secret-upload-failed-bob', 'bob', { userId: 'u-bob', deviceId: 'd-bob' });
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);
    await deliver(relay, bob);

    let die: (e: Error) => void = () => undefined;
    let uploading: () => void = () => undefined;
    const started = new Promise<void>((r) => (uploading = r));
    relay.upload = () => {
      uploading();
      return new Promise((_, reject) => (die = reject));
    };
    const sending = alice.engine.sendFile(chatId, 'a.pdf', 'application/pdf', file(), '');
    await started;
    const row = await fileRow(alice.db);
    expect(row.status).toBe('pending');

    const { Core } = await import('$lib/worker/core');
    // Another tab's worker starts while this upload runs: it is left alone.
    await new Core(() => {}).ready;
    const other = await openStore();
    expect((await other.db.secretMessages.get(row.id))?.status).toBe('pending');

    // The tab closes: its worker writes nothing more, and the browser releases its locks.
    alice.db.close();
    die(new Error('worker gone'));
    await expect(sending).rejects.toThrow();
    expect((await other.db.secretMessages.get(row.id))?.status).toBe('pending');

    const events: WorkerEvent[] = [];
    await new Core((e) => events.push(e)).ready;
    expect((await other.db.secretMessages.get(row.id))?.status).toBe('failed');
    expect(events).toContainEqual({ type: 'secret', chatId, rows: [row.id] });
    vi.unstubAllGlobals();
  });
});

describe('a secret file left "sending" by an app from before the upload markers', () => {
  const HOUR = 60 * 60_000;
  const NOW = 10 * HOUR;
  const uuid = (i: number) => `00000000-0000-4000-8000-${String(300 + i).padStart(12, '0')}`;
  /** A row as older apps stored it in clear: mine, its file's bytes with it, no relay blob before the send. */
  async function put(db: CinderDB, i: number, row: Partial<SecretMessageRow>, media = true) {
    const id = uuid(i);
    await db.secretMessages.put({ id, chatId: 'c1', at: NOW - 2 * HOUR, mine: true, status: 'pending', ttl: 0, blobId: null, box: new Uint8Array(1), ...row });
    if (media) await db.secretMedia.put({ messageId: id, chatId: 'c1', box: new Uint8Array(1) });
    return id;
  }
  const statuses = async (db: CinderDB, ids: string[]) => (await db.secretMessages.bulkGet(ids)).map((r) => r?.status);

  it('is marked failed once old enough, when no one uploads it; nothing else is touched', async () => {
    const { db } = await unlockedStore('secret-upload-legacy-1');
    const dead = await put(db, 1, {});
    const young = await put(db, 2, { at: NOW - 5 * 60_000 }); // perhaps an older tab's upload still running
    const queued = await put(db, 3, { blobId: 'b3' }); // uploaded, its send on its way
    const text = await put(db, 4, {}, false); // a text message waiting for the relay
    const theirs = await put(db, 5, { mine: false, status: 'sent' });
    const events: WorkerEvent[] = [];
    await failDeadUploads(db, (e) => events.push(e), NOW);
    expect(await statuses(db, [dead, young, queued, text, theirs])).toEqual(['failed', 'pending', 'pending', 'pending', 'sent']);
    expect(events).toEqual([{ type: 'secret', chatId: 'c1', rows: [dead] }, { type: 'chats' }]);

    // The young one is judged at a later start, once old enough; then the sweep is done for good.
    await failDeadUploads(db, () => undefined, NOW + HOUR);
    expect(await statuses(db, [young, queued, text])).toEqual(['failed', 'pending', 'pending']);
    const later = await put(db, 6, {});
    await failDeadUploads(db, () => undefined, NOW + 2 * HOUR);
    expect(await statuses(db, [later])).toEqual(['pending']);
  });

  it('is left alone while a worker holds its upload lock, and judged at the next start', async () => {
    const { db } = await unlockedStore('secret-upload-legacy-2');
    const id = await put(db, 1, {});
    let release: () => void = () => undefined;
    const holding = whileUploading(id, () => new Promise<void>((r) => (release = r)));
    await failDeadUploads(db, () => undefined, NOW);
    expect(await statuses(db, [id])).toEqual(['pending']);
    release();
    await holding;
    await failDeadUploads(db, () => undefined, NOW);
    expect(await statuses(db, [id])).toEqual(['failed']);
  });
});

describe('secret uploads on one device', () => {
  it('run one at a time, and a 429 from the relay is waited out, not shown as a failure', async () => {
    const { oneUploadAtATime } = await import('$lib/worker/secret-uploads');
    const { NetError } = await import('$lib/worker/net');
    let running = 0;
    let most = 0;
    let refusals = 1;
    const upload = (id: string) => async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (id === 'b' && refusals-- > 0) throw new NetError('rate_limited', 'too many uploads', 429);
      return id;
    };
    expect(await Promise.all(['a', 'b', 'c'].map((id) => oneUploadAtATime(upload(id), 1)))).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
    // Other failures are not retried; a 429 that keeps coming is given up after five tries.
    await expect(oneUploadAtATime(async () => Promise.reject(new NetError('offline', 'no network')), 1)).rejects.toThrow('no network');
    let tries = 0;
    await expect(oneUploadAtATime(async () => (tries++, Promise.reject(new NetError('rate_limited', 'busy', 429))), 1)).rejects.toThrow('busy');
    expect(tries).toBe(5);
  });
});
