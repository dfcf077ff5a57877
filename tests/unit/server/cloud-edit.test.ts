// Editing a cloud message (POST /api/cloud/chats/:peerId/edit): the author only, within 48 h, not a
// deleted message nor one with a timed attachment (an untimed one's caption may even be emptied); the
// new text sealed like a sent one, and an 'edit' update in both users' logs, delivered live too.
import { describe, expect, it } from 'vitest';
import type { CloudMessage, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, connect, login, sendText, useRelayWith, uuid, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob', 'carol']);

const edit = (who: Account, peer: Account, id: string, text: unknown) =>
  call(rig.ts, 'POST', `/api/cloud/chats/${peer.userId}/edit`, { token: who.token, body: { id, text } });
const history = async (who: Account, peer: Account) =>
  (await call<{ messages: CloudMessage[] }>(rig.ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages;
const edits = async (who: Account) => (await call<SyncRes>(rig.ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates.filter((u) => u.kind === 'edit');

describe('editing a cloud message', () => {
  it("the author's edit: the new text in history and in both users' logs (every device), live too; its time and seq stay", async () => {
    const { alice, bob } = rig;
    const m = await sendText(rig.ts, alice, bob, 'see you at 8');
    const laptop = await login(rig.ts, { username: 'alice', password: 'correct horse battery' }, 'Laptop');
    const bobWs = await connect(rig.ts, bob.token);
    const laptopWs = await connect(rig.ts, laptop.token);
    await bobWs.next((f) => f.t === 'hello');
    await laptopWs.next((f) => f.t === 'hello');

    const r = await edit(alice, bob, m.id, 'see you at 9');
    expect(r.status).toBe(204);
    const [forBob] = await history(bob, alice);
    expect(forBob).toMatchObject({ id: m.id, text: 'see you at 9', createdAt: m.createdAt, seq: m.seq });
    expect(forBob.editedAt).toBeGreaterThanOrEqual(m.createdAt);
    const isEdit = (f: ServerFrame) => f.t === 'update' && f.update.kind === 'edit';
    for (const ws of [bobWs, laptopWs]) {
      const f = await ws.next<Extract<ServerFrame, { t: 'update' }>>(isEdit);
      expect(f.update).toMatchObject({ kind: 'edit', id: m.id, text: 'see you at 9', editedAt: forBob.editedAt, peerId: ws === bobWs ? alice.userId : bob.userId });
    }
    bobWs.close();
    laptopWs.close();
    expect(await edits(bob)).toHaveLength(1);
    expect(await edits(alice)).toHaveLength(1);

    // A second edit: newer; the log serves each edit with the text now.
    expect((await edit(alice, bob, m.id, 'see you at 10')).status).toBe(204);
    const ups = (await edits(bob)) as Extract<Update, { kind: 'edit' }>[];
    expect(ups.map((u) => u.text)).toEqual(['see you at 10', 'see you at 10']);
    expect(ups[1].editedAt).toBeGreaterThan(forBob.editedAt!);
    // Unchanged: nothing appended.
    expect((await edit(alice, bob, m.id, 'see you at 10')).status).toBe(204);
    expect(await edits(bob)).toHaveLength(2);
  });

  it('only the author may edit, and only in that chat', async () => {
    const { alice, bob, carol } = rig;
    const m = await sendText(rig.ts, alice, bob, 'mine');
    const byBob = await edit(bob, alice, m.id, 'bob was here');
    expect([byBob.status, byBob.body.error.code]).toEqual([403, 'not_author']);
    const byCarol = await edit(carol, bob, m.id, 'carol was here');
    expect(byCarol.status).toBe(404);
    const unknown = await edit(alice, bob, uuid(), 'nothing');
    expect(unknown.status).toBe(404);
    expect((await history(bob, alice))[0].text).toBe('mine');
    expect(await edits(bob)).toEqual([]);
  });

  it('refuses after 48 hours, and a deleted message', async () => {
    const { alice, bob } = rig;
    const gone = await sendText(rig.ts, alice, bob, 'soon gone');
    await call(rig.ts, 'POST', `/api/cloud/chats/${bob.userId}/delete`, { token: alice.token, body: { ids: [gone.id] } });
    const r = await edit(alice, bob, gone.id, 'back?');
    expect([r.status, r.body.error.code]).toEqual([410, 'gone']);

    const old = await sendText(rig.ts, alice, bob, 'long ago');
    rig.ts.clock.now = old.createdAt + 48 * 3600_000 - 1000;
    expect((await edit(alice, bob, old.id, 'just in time')).status).toBe(204);
    rig.ts.clock.now = old.createdAt + 48 * 3600_000 + 1000;
    const late = await edit(alice, bob, old.id, 'too late');
    expect([late.status, late.body.error.code]).toEqual([403, 'edit_expired']);
    expect((await history(bob, alice)).map((m) => m.text)).toEqual(['just in time']);
  });

  const photo = async (from: Account, to: Account, text: string, ttl: number) => {
    const up = await call(rig.ts, 'POST', '/api/cloud/media', {
      token: from.token,
      raw: Buffer.from('png bytes'),
      headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': to.userId, 'x-cinder-mime': 'image/png', 'x-cinder-name': 'a.png' }
    });
    expect(up.status).toBe(201);
    const sent = await call(rig.ts, 'POST', '/api/cloud/messages', {
      token: from.token,
      body: { id: uuid(), toUserId: to.userId, text, media: { id: up.body.id, ttl } }
    });
    expect(sent.status).toBe(200);
    return sent.body.message as CloudMessage;
  };

  it("edits a photo's caption, which may become empty; its attachment stays", async () => {
    const { alice, bob } = rig;
    const m = await photo(alice, bob, 'a typo', 0);
    expect((await edit(alice, bob, m.id, 'no typo')).status).toBe(204);
    expect((await history(bob, alice))[0]).toMatchObject({ text: 'no typo', media: { id: m.media!.id, name: 'a.png' }, editedAt: expect.any(Number) });
    expect((await edit(alice, bob, m.id, '')).status).toBe(204);
    expect((await history(bob, alice))[0]).toMatchObject({ text: '', media: { id: m.media!.id } });
    expect(((await edits(bob)) as Extract<Update, { kind: 'edit' }>[]).map((u) => u.text)).toEqual(['', '']);
  });

  it('refuses the caption of a timed photo', async () => {
    const { alice, bob } = rig;
    const m = await photo(alice, bob, 'caption', 30);
    const r = await edit(alice, bob, m.id, 'new caption');
    expect([r.status, r.body.error.code]).toEqual([403, 'not_editable']);
    expect((await history(bob, alice))[0].text).toBe('caption');
  });

  it('validates the body like a sent text: not blank (without an attachment), not too long, no control characters, a message id', async () => {
    const { alice, bob } = rig;
    const m = await sendText(rig.ts, alice, bob, 'text');
    for (const text of ['', '   ', 'x'.repeat(4097), 'a\u0000b', 42]) expect((await edit(alice, bob, m.id, text)).status).toBe(400);
    expect((await edit(alice, bob, 'not-a-uuid', 'ok')).status).toBe(400);
    expect((await edit(alice, bob, m.id, 'x'.repeat(4096))).status).toBe(204);
  });
});
