/**
 * Cloud chats carry any file, and photos and videos their size, on SQLite and PostgreSQL: the
 * `x-cinder-dims` upload header is validated (a clear 400 on anything but `<w>x<h>` in range, or on a
 * file that is not a photo or video), sealed with the name and type (never in clear on disk), and comes
 * back as the media's `width`/`height` for both members; media without it has neither field.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloudMessage, type CloudMessage as CloudMessageT } from '../../../src/lib/api/wire';
import { parseDimsHeader } from '../../../src/lib/api/media-dims';
import { BACKENDS, useRelayOn, type AnyServer } from './backends';
import { call, uuid, type Account } from './helpers';

const upload = (ts: AnyServer, from: Account, to: string, mime: string, name: string, bytes: Buffer, extra: Record<string, string> = {}) =>
  call<{ id: string; error: { code: string; message: string } }>(ts, 'POST', '/api/cloud/media', {
    token: from.token,
    raw: bytes,
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': to, 'x-cinder-mime': mime, 'x-cinder-name': encodeURIComponent(name), ...extra }
  });

const send = async (ts: AnyServer, from: Account, to: Account, mediaId: string, ttl = 0) => {
  const r = await call<{ message: CloudMessageT }>(ts, 'POST', '/api/cloud/messages', {
    token: from.token,
    body: { id: uuid(), toUserId: to.userId, text: '', media: { id: mediaId, ttl } }
  });
  expect(r.status).toBe(200);
  return CloudMessage.parse(r.body.message);
};

describe('parseDimsHeader', () => {
  it('reads <width>x<height> and refuses everything else', () => {
    expect(parseDimsHeader(undefined)).toEqual({ ok: true, dims: null });
    expect(parseDimsHeader('')).toEqual({ ok: true, dims: null });
    expect(parseDimsHeader('1280x720')).toEqual({ ok: true, dims: { width: 1280, height: 720 } });
    expect(parseDimsHeader('1x16384')).toEqual({ ok: true, dims: { width: 1, height: 16384 } });
    for (const bad of ['0x10', '10x0', '16385x10', '99999x1']) expect(parseDimsHeader(bad)).toMatchObject({ ok: false, error: /1 to 16384 pixels/ });
    for (const bad of ['1280', '1280X720', '1280x', 'x720', '-1x5', '1.5x2', '12 x 7', '1280x720x3', '0x10;', '100000x1', 'wide'])
      expect(parseDimsHeader(bad), bad).toMatchObject({ ok: false, error: /<width>x<height>/ });
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`cloud files and media sizes: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob']);

    it('refuses a malformed size, and a size on anything but a photo or video, with a clear 400 and nothing stored', async () => {
      const { ts, alice, bob } = rig;
      const png = randomBytes(500);
      for (const [mime, dims, message] of [
        ['image/png', 'big', /^x-cinder-dims: must be <width>x<height>/],
        ['image/png', '0x720', /^x-cinder-dims: each side must be 1 to 16384 pixels/],
        ['video/webm', '1280x16385', /^x-cinder-dims: each side must be 1 to 16384 pixels/],
        ['application/pdf', '10x10', /^x-cinder-dims: only photos and videos have a size/],
        ['audio/ogg', '10x10', /^x-cinder-dims: only photos and videos have a size/]
      ] as const) {
        const r = await upload(ts, alice, bob.userId, mime, 'f', png, { 'x-cinder-dims': dims });
        expect(r.status, dims).toBe(400);
        expect(r.body.error.code).toBe('bad_request');
        expect(r.body.error.message).toMatch(message);
      }
      expect(readdirSync(join(ts.dataDir, 'media')).filter((f) => !f.startsWith('.'))).toEqual([]);
    });

    it('seals the size with the name and type and returns it to both members; media without one has none', async () => {
      const { ts, alice, bob } = rig;
      const photo = await upload(ts, alice, bob.userId, 'image/png', 'wide.png', randomBytes(800), { 'x-cinder-dims': '1280x720' });
      expect(photo.status).toBe(201);
      const sent = await send(ts, alice, bob, photo.body.id);
      expect(sent.media).toMatchObject({ mime: 'image/png', name: 'wide.png', width: 1280, height: 720 });

      const old = await upload(ts, alice, bob.userId, 'image/png', 'old.png', randomBytes(800));
      await send(ts, alice, bob, old.body.id);
      const got = await call<{ messages: CloudMessageT[] }>(ts, 'GET', `/api/cloud/chats/${alice.userId}/messages`, { token: bob.token });
      const [withSize, without] = got.body.messages.map((m) => CloudMessage.parse(m).media);
      expect(withSize).toMatchObject({ width: 1280, height: 720 });
      expect(without && ('width' in without || 'height' in without)).toBe(false);

      // Sealed: the database file never holds the name or the size in clear (SQLite; PostgreSQL stores the same sealed bytes).
      if (backend.name === 'sqlite') {
        const db = readdirSync(ts.dataDir)
          .filter((f) => f.endsWith('.db') || f.endsWith('.db-wal'))
          .map((f) => readFileSync(join(ts.dataDir, f)));
        expect(db.length).toBeGreaterThan(0);
        for (const bytes of db) {
          expect(bytes.includes('1280x720')).toBe(false);
          expect(bytes.includes('"width"')).toBe(false);
          expect(bytes.includes('wide.png')).toBe(false);
        }
      }
    });

    it('carries any file type, with or without a timer', async () => {
      const { ts, alice, bob } = rig;
      const cases = [
        ['application/pdf', 'doc.pdf'],
        ['text/plain', 'notes.txt'],
        ['application/zip', 'bundle.zip'],
        ['audio/mpeg', 'song.mp3'],
        ['application/octet-stream', 'blob.bin']
      ] as const;
      for (const [mime, name] of cases) {
        const bytes = randomBytes(300);
        const up = await upload(ts, alice, bob.userId, mime, name, bytes);
        expect(up.status, mime).toBe(201);
        const m = await send(ts, alice, bob, up.body.id, mime === 'application/zip' ? 30 : 0);
        expect(m.media).toMatchObject({ mime, name, size: 300, ttl: mime === 'application/zip' ? 30 : 0 });
        const r = await fetch(`${ts.url}/api/cloud/media/${up.body.id}`, { headers: { authorization: `Bearer ${bob.token}` } });
        expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
      }
    });
  });
}
