/**
 * Control characters in human-readable strings: one rule in wire.ts (`plainText`), the same 400 on
 * SQLite and PostgreSQL (which refuses NUL in text and used to answer 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_CHARS_MESSAGE, isPlainText } from '../../../src/lib/api/wire';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, deviceKeys, signup, uuid, type Account } from './helpers';
import { newSubscriber } from './push-fake';

describe('isPlainText', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['tab', 'a\tb'],
    ['newline', 'a\nb'],
    ['escape', 'a\u001b[31m'],
    ['DEL', 'a\u007fb'],
    ['C1 (NEL)', 'a\u0085b'],
    ['right-to-left override', 'abc\u202egpj.exe'],
    ['left-to-right embedding', '\u202aabc'],
    ['first strong isolate', '\u2068abc\u2069'],
    ['lone high surrogate', 'a\ud800'],
    ['lone low surrogate', '\udc00a']
  ])('a name with %s is refused', (_what, s) => expect(isPlainText(s, 'line')).toBe(false));

  it('accepts ordinary names in any script, emoji included', () => {
    for (const s of ['Alice', 'Zoë', 'محمد', 'שלום', '李小龙', '👩‍💻 dev', 'a\u200db']) expect(isPlainText(s, 'line'), s).toBe(true);
  });

  it('message text keeps newlines, tabs, CR and bidi controls, refuses NUL, other C0 and lone surrogates', () => {
    for (const s of ['line 1\nline 2', 'a\tb', 'a\r\nb', 'abc \u202bمرحبا\u202c', '\u2067שלום\u2069', 'x\u007f']) expect(isPlainText(s, 'text'), s).toBe(true);
    for (const s of ['a\u0000b', 'a\u0007', 'a\u001b[2J', 'a\ud800']) expect(isPlainText(s, 'text'), s).toBe(false);
  });
});

describe.each(BACKENDS)('control characters on $name', ({ name, skip }) => {
  let ts: AnyServer;
  let a: Account;
  let b: Account;
  beforeAll(async () => {
    if (skip) return;
    ts = await startOn(name, { PUSH_SERVICE_HOSTS: 'fcm.googleapis.com' });
    a = await signup(ts);
    b = await signup(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  const expect400 = async (method: string, path: string, body: unknown, field: string, headers?: Record<string, string>) => {
    const r = await call(ts, method, path, { body, token: a.token, headers });
    expect({ status: r.status, code: r.body?.error?.code }, `${method} ${path} ${JSON.stringify(body)} → ${r.text}`).toEqual({
      status: 400,
      code: 'bad_request'
    });
    expect(r.body.error.message).toContain(field);
  };

  it.skipIf(skip)('names: sign-up, login, profile, device name and user lookup answer 400, never 500', async () => {
    const ok = { username: 'ctrl_user', password: 'long enough', device: deviceKeys() };
    await expect400('POST', '/api/auth/signup', { ...ok, displayName: 'Eve\u0000' }, `displayName: ${CONTROL_CHARS_MESSAGE}`);
    await expect400('POST', '/api/auth/signup', { ...ok, displayName: 'Bob\u202egnp.exe' }, 'displayName:');
    await expect400('POST', '/api/auth/signup', { ...ok, device: deviceKeys('Phone\u0000') }, 'device.name:');
    await expect400('POST', '/api/auth/signup', { ...ok, device: deviceKeys('Phone\ud800') }, 'device.name:');
    await expect400('POST', '/api/auth/login', { username: 'x\u0000', password: 'whatever', device: deviceKeys() }, 'username:');
    await expect400('POST', '/api/auth/login', { username: a.username, password: a.password, device: deviceKeys('Laptop\u0007') }, 'device.name:');
    await expect400('PATCH', '/api/me', { displayName: 'x\u0000y' }, 'displayName:');
    await expect400('PATCH', '/api/me', { displayName: 'x\u2066y' }, 'displayName:');
    await expect400('PATCH', '/api/me', { displayName: 'x\u0085y' }, 'displayName:');
    await expect400('GET', '/api/users/by-name/ab%00c', undefined, CONTROL_CHARS_MESSAGE);
    // Nothing was stored, and a normal non-ASCII name still works.
    const me = await call(ts, 'PATCH', '/api/me', { token: a.token, body: { displayName: 'Zoë 李' } });
    expect(me.status).toBe(200);
    expect((await call(ts, 'GET', '/api/me', { token: a.token })).body.user.displayName).toBe('Zoë 李');
  });

  it.skipIf(skip)('message text refuses NUL but keeps newlines and tabs', async () => {
    await expect400('POST', '/api/cloud/messages', { id: uuid(), toUserId: b.userId, text: 'hi\u0000there' }, 'text:');
    const text = 'line one\n\tline two\r\n\u202bمرحبا\u202c';
    const r = await call(ts, 'POST', '/api/cloud/messages', { token: a.token, body: { id: uuid(), toUserId: b.userId, text } });
    expect(r.status).toBe(200);
    expect(r.body.message.text).toBe(text);
  });

  it.skipIf(skip)('push endpoint and media file name refuse control characters', async () => {
    const s = newSubscriber({ origin: 'https://fcm.googleapis.com' });
    await expect400('POST', '/api/push/subscribe', { endpoint: s.endpoint + '\u0000', keys: s.keys }, 'endpoint:');
    await expect400('POST', '/api/push/subscribe', { endpoint: s.endpoint + '\u202e', keys: s.keys }, 'endpoint:');
    expect(await ts.store.getPushSubscription(a.deviceId)).toBeNull();
    const media = (nameHeader: string) =>
      call(ts, 'POST', '/api/cloud/media', {
        token: a.token,
        raw: Buffer.from('bytes'),
        headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': b.userId, 'x-cinder-mime': 'image/png', 'x-cinder-name': nameHeader }
      });
    for (const n of [encodeURIComponent('photo\u202egnp.exe'), encodeURIComponent('a\u0000.png'), encodeURIComponent('a\u0085.png')]) {
      const r = await media(n);
      expect({ n, status: r.status }).toEqual({ n, status: 400 });
    }
    expect((await media(encodeURIComponent('Zoë.png'))).status).toBe(201);
  });
});
