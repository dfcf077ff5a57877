/**
 * Voice messages in cloud chats: the `x-cinder-voice` upload header (duration and waveform) is
 * validated, sealed with the media's name and type, and comes back on the message for both members;
 * media without it is unchanged (no `voice` field), so older clients see what they always saw.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudMessage } from '../../../src/lib/api/wire';
import { CloudMessage as CloudMessageSchema } from '../../../src/lib/api/wire';
import { call, signup, startServer, uuid, type Account, type TestServer } from './helpers';

const clip = () => Buffer.concat([Buffer.from('1a45dfa3', 'hex'), randomBytes(3000)]);
const VOICE = { duration: 4200, waveform: Array.from({ length: 48 }, (_, i) => (i * 5) % 256) };

const upload = (ts: TestServer, from: Account, to: string, headers: Record<string, string>) =>
  call<{ id: string; error: { message: string } }>(ts, 'POST', '/api/cloud/media', {
    token: from.token,
    raw: clip(),
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': to, 'x-cinder-name': 'voice.webm', ...headers }
  });

describe('cloud voice messages', () => {
  let ts: TestServer;
  let alice: Account;
  let bob: Account;
  beforeEach(async () => {
    ts = await startServer();
    alice = await signup(ts, `alice_${randomBytes(2).toString('hex')}`);
    bob = await signup(ts, `bob_${randomBytes(2).toString('hex')}`);
  });
  afterEach(async () => {
    await ts.close();
  });

  it('refuses a malformed voice header, and voice metadata on anything but audio', async () => {
    const bad = async (mime: string, voice: string) => (await upload(ts, alice, bob.userId, { 'x-cinder-mime': mime, 'x-cinder-voice': voice })).body;
    expect((await bad('audio/webm', 'not json')).error.message).toMatch(/^x-cinder-voice: must be JSON/);
    expect((await bad('audio/webm', JSON.stringify({ duration: 0, waveform: [1] }))).error.message).toMatch(/^x-cinder-voice: duration/);
    expect((await bad('audio/webm', JSON.stringify({ duration: 10, waveform: [256] }))).error.message).toMatch(/^x-cinder-voice: waveform/);
    expect((await bad('audio/webm', JSON.stringify({ duration: 10, waveform: new Array(65).fill(1) }))).error.message).toMatch(/^x-cinder-voice: waveform/);
    expect((await bad('image/png', JSON.stringify(VOICE))).error.message).toMatch(/only audio/);
  });

  it('carries duration and waveform to both members; other media has no voice field', async () => {
    const up = await upload(ts, alice, bob.userId, { 'x-cinder-mime': 'audio/webm', 'x-cinder-voice': JSON.stringify(VOICE) });
    expect(up.status).toBe(201);
    const sent = await call<{ message: CloudMessage }>(ts, 'POST', '/api/cloud/messages', {
      token: alice.token,
      body: { id: uuid(), toUserId: bob.userId, text: '', media: { id: up.body.id } }
    });
    expect(sent.status).toBe(200);
    expect(sent.body.message.media?.voice).toEqual(VOICE);
    expect(sent.body.message.media?.mime).toBe('audio/webm');

    const plain = await upload(ts, alice, bob.userId, { 'x-cinder-mime': 'audio/ogg' });
    await call(ts, 'POST', '/api/cloud/messages', { token: alice.token, body: { id: uuid(), toUserId: bob.userId, text: '', media: { id: plain.body.id } } });

    const got = await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${alice.userId}/messages`, { token: bob.token });
    const [voiceMsg, plainMsg] = got.body.messages;
    expect(CloudMessageSchema.parse(voiceMsg).media?.voice).toEqual(VOICE);
    expect(plainMsg.media).toBeTruthy();
    expect('voice' in (plainMsg.media ?? {})).toBe(false);
  });
});
