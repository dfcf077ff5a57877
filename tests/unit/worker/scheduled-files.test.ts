// Scheduling a file in a cloud chat: the worker uploads it (progress under the scheduled message's id),
// then schedules a message naming the upload with the caption; offline it says so and keeps nothing; a
// self-destruct timer is refused before anything is sent. The list carries the file's summary (sealed on
// the device, from the RPC's answer and from 'scheduled' updates alike). A file sent at once from the
// attach panel takes its caption too (the panel now offers one in cloud chats).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScheduledMessage } from '$lib/api/wire-scheduled';
import type { Update } from '$lib/api/wire';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { scheduledViews } from '$lib/worker/scheduled';
import { scheduledHandlers } from '$lib/worker/rpc/scheduled';
import { mediaHandlers } from '$lib/worker/rpc/media';
import { parseParams } from '$lib/worker/rpc/methods';
import { THUMB_MAX } from '$lib/api/thumb';
import { unlockedStore } from '../support/store';
import { ME, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const media = { id: 'upload-1', mime: 'image/png', name: 'beach.png', size: 4, width: 2, height: 2 };

/** An XMLHttpRequest that answers uploads as the relay would (or fails as offline), recording them. */
function fakeXhr(uploads: { path: string; headers: Record<string, string>; size: number }[], offline = false) {
  return class {
    status = 0;
    responseText = '';
    upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
    onerror: (() => void) | null = null;
    onload: (() => void) | null = null;
    private path = '';
    private headers: Record<string, string> = {};
    open(_method: string, path: string) {
      this.path = path;
    }
    setRequestHeader(k: string, v: string) {
      this.headers[k] = v;
    }
    send(body: Uint8Array | ArrayBuffer) {
      queueMicrotask(() => {
        if (offline) return this.onerror?.();
        const size = body.byteLength;
        uploads.push({ path: this.path, headers: this.headers, size });
        this.upload.onprogress?.({ loaded: size, total: size, lengthComputable: true });
        this.status = 201;
        this.responseText = JSON.stringify({ id: media.id });
        this.onload?.();
      });
    }
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('scheduled files on the device', () => {
  it('uploads, then schedules the caption with the upload; the list shows the file, sealed', async () => {
    const { db, vault } = await unlockedStore(`scheduled-files-${dbs++}`);
    const events: unknown[] = [];
    const ctx = { db, vault, me: ME, emit: (e: unknown) => events.push(e) };
    const uploads: { path: string; headers: Record<string, string>; size: number }[] = [];
    const posted: unknown[] = [];
    vi.stubGlobal('XMLHttpRequest', fakeXhr(uploads));
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { id: string; text: string; at: number };
      posted.push([init.method, path, body]);
      return Response.json({ scheduled: { id: body.id, peerId: 'bob', text: body.text, replyTo: null, media, at: body.at, createdAt: 1, failed: null } });
    });
    const bytes = new Uint8Array([1, 2, 3, 4]).buffer;
    const view = await scheduledHandlers.scheduleMessage(ctx, {
      id: uuid(1),
      peerId: 'bob',
      text: 'the beach',
      at: 2_000_000,
      file: { name: 'beach.png', mime: 'image/png', bytes, width: 2, height: 2 }
    });
    expect(uploads).toEqual([
      {
        path: '/api/cloud/media',
        headers: expect.objectContaining({ 'x-cinder-to-user': 'bob', 'x-cinder-mime': 'image/png', 'x-cinder-name': 'beach.png', 'x-cinder-dims': '2x2' }),
        size: 4
      }
    ]);
    expect(events).toContainEqual({ type: 'progress', id: uuid(1), loaded: 4, total: 4 });
    expect(posted).toEqual([['POST', '/api/cloud/scheduled', { id: uuid(1), peerId: 'bob', text: 'the beach', replyTo: null, at: 2_000_000, media: { id: media.id } }]]);
    expect(view).toMatchObject({ id: uuid(1), text: 'the beach', media });
    expect(await scheduledViews(db, vault, 'bob')).toEqual([{ id: uuid(1), peerId: 'bob', text: 'the beach', replyTo: null, media, at: 2_000_000, failed: null }]);
    expect(JSON.stringify(await db.scheduled.toArray())).not.toContain('beach.png');
  });

  it('offline: refused with the words, nothing scheduled nor kept; a timer is refused before any upload', async () => {
    const { db, vault } = await unlockedStore(`scheduled-files-${dbs++}`);
    const ctx = { db, vault, me: ME, emit: () => {} };
    const uploads: { path: string; headers: Record<string, string>; size: number }[] = [];
    const fetched: unknown[] = [];
    vi.stubGlobal('XMLHttpRequest', fakeXhr([], true));
    vi.stubGlobal('fetch', async (path: string) => {
      fetched.push(path);
      throw new TypeError('Failed to fetch');
    });
    const file = { name: 'a.pdf', mime: 'application/pdf', bytes: new Uint8Array([9]).buffer };
    await expect(scheduledHandlers.scheduleMessage(ctx, { peerId: 'bob', text: '', at: 2_000_000, file })).rejects.toMatchObject({
      code: 'offline',
      message: 'You are offline. Connect to schedule this message.'
    });
    expect(fetched).toEqual([]);
    vi.stubGlobal('XMLHttpRequest', fakeXhr(uploads));
    await expect(scheduledHandlers.scheduleMessage(ctx, { peerId: 'bob', text: '', at: 2_000_000, file, ttl: 10 })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'A scheduled file cannot have a self-destruct timer.'
    });
    expect(uploads).toEqual([]);
    expect(fetched).toEqual([]);
    expect(await db.scheduled.count()).toBe(0);
  });

  it("keeps the small picture made here, sealed, in the list; it goes with the row (sent, deleted, or the relay's list without it)", async () => {
    const { db, vault } = await unlockedStore(`scheduled-files-${dbs++}`);
    const ctx = { db, vault, me: ME, emit: () => {} };
    vi.stubGlobal('XMLHttpRequest', fakeXhr([]));
    let listed: unknown[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      if (init.method === 'DELETE') return new Response(null, { status: 204 });
      if (init.method === 'GET') return Response.json({ scheduled: listed });
      const body = JSON.parse(String(init.body)) as { id: string; text: string; at: number };
      return Response.json({ scheduled: { id: body.id, peerId: 'bob', text: body.text, replyTo: null, media, at: body.at, createdAt: 1, failed: null } });
    });
    const picture = new Uint8Array([0xff, 0xd8, 0xff, 7, 7, 7]);
    const schedule = (i: number) =>
      scheduledHandlers.scheduleMessage(ctx, {
        id: uuid(i),
        peerId: 'bob',
        text: '',
        at: 2_000_000 + i,
        file: { name: 'beach.png', mime: 'image/png', bytes: new Uint8Array([1]).buffer, width: 2, height: 2 },
        thumb: picture.slice().buffer
      });
    for (const i of [1, 2, 3]) await schedule(i);
    const views = await scheduledViews(db, vault, 'bob');
    expect(views.map((v) => v.id)).toEqual([uuid(1), uuid(2), uuid(3)]);
    for (const v of views) {
      expect(v.thumb?.type).toBe('image/jpeg');
      expect(new Uint8Array(await v.thumb!.arrayBuffer())).toEqual(picture);
    }
    // Sealed at rest.
    expect((await db.cloudMedia.toArray()).some((r) => r.box.length === picture.length)).toBe(false);
    // Sent (the relay's update says it is gone), deleted here, then missing from the relay's list: each takes its picture.
    await applyUpdates(db, vault, ME, [{ kind: 'scheduled', cursor: nextCursor(), peerId: 'bob', id: uuid(1), item: null }]);
    await scheduledHandlers.deleteScheduled(ctx, { id: uuid(2) });
    expect(await db.cloudMedia.count()).toBe(1);
    await scheduledHandlers.scheduledList({ ...ctx }, { peerId: 'bob', refresh: true });
    expect(await db.scheduled.count()).toBe(0);
    expect(await db.cloudMedia.count()).toBe(0);
    // Another device's item (or one scheduled before): no picture, the icon.
    listed = [{ id: uuid(4), peerId: 'bob', text: '', replyTo: null, media, at: 9, createdAt: 1, failed: null }];
    const [other] = await scheduledHandlers.scheduledList({ ...ctx }, { peerId: 'bob', refresh: true });
    expect(other.thumb).toBeUndefined();
  });

  it('refuses a small picture too large, or without a photo or video', () => {
    const file = { name: 'a.png', mime: 'image/png', bytes: new Uint8Array([1]).buffer };
    const base = { peerId: 'bob', text: '', at: 2_000_000 };
    expect(() => parseParams('scheduleMessage', { ...base, file, thumb: new ArrayBuffer(THUMB_MAX + 1) })).toThrow();
    expect(() => parseParams('scheduleMessage', { ...base, file: { ...file, mime: 'application/pdf' }, thumb: new ArrayBuffer(8) })).toThrow();
    expect(() => parseParams('scheduleMessage', { ...base, text: 'hi', thumb: new ArrayBuffer(8) })).toThrow();
    expect(parseParams('scheduleMessage', { ...base, file, thumb: new ArrayBuffer(THUMB_MAX) }).thumb?.byteLength).toBe(THUMB_MAX);
  });

  it("a 'scheduled' update's file goes into the list", async () => {
    const { db, vault } = await unlockedStore(`scheduled-files-${dbs++}`);
    const item: ScheduledMessage = { id: uuid(3), peerId: 'bob', text: '', replyTo: null, media, at: 5, createdAt: 1, failed: null };
    const u: Update = { kind: 'scheduled', cursor: nextCursor(), peerId: 'bob', id: uuid(3), item };
    await applyUpdates(db, vault, ME, [u]);
    expect(await scheduledViews(db, vault, 'bob')).toEqual([{ id: uuid(3), peerId: 'bob', text: '', replyTo: null, media, at: 5, failed: null }]);
  });

  it('a file sent at once carries the caption as its text', async () => {
    const { db, vault } = await unlockedStore(`scheduled-files-${dbs++}`);
    await db.chats.put({ peerId: 'bob' } as never);
    const ctx = { db, vault, me: ME, emit: () => {}, secret: () => Promise.reject(new Error('unused')), armPurge: async () => {} };
    const posted: { text: string; media: unknown }[] = [];
    vi.stubGlobal('XMLHttpRequest', fakeXhr([]));
    vi.stubGlobal('fetch', async (_path: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { id: string; text: string; media: { id: string; ttl: number } };
      posted.push({ text: body.text, media: body.media });
      const m = { ...media, ttl: 0, openedAt: null, deadline: null };
      return Response.json({
        message: { id: body.id, peerId: 'bob', seq: 1, senderId: ME, senderDeviceId: 'd1', text: body.text, replyTo: null, createdAt: 5, media: m }
      });
    });
    const view = await mediaHandlers.cloudSendMedia(ctx as never, {
      peerId: 'bob',
      name: 'beach.png',
      mime: 'image/png',
      bytes: new Uint8Array([1]).buffer,
      ttl: 0,
      caption: ' at dawn '
    });
    expect(posted).toEqual([{ text: 'at dawn', media: { id: media.id, ttl: 0 } }]);
    expect(view).toMatchObject({ text: 'at dawn' });
  });
});
