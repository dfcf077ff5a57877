/**
 * A cloud chat the recipient muted pushes none of their devices while the mute lasts (the relay checks
 * the user's own chat settings when the message arrives); another chat's message in the same
 * coalescing window still pushes, and so does one after the mute ran out.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MUTED_FOREVER } from '../../../src/lib/api/limits';
import { call, login, sendText, signup, startServer, type Account, type TestServer } from './helpers';
import { newSubscriber, startFakePushService, type FakePushService, type Subscriber } from './push-fake';

describe('pushes for muted cloud chats', () => {
  let ts: TestServer;
  let fake: FakePushService;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  /** Alice's two devices, both offline with a subscription. */
  let subs: Subscriber[];

  const subscribe = (who: Account, sub: Subscriber) =>
    call(ts, 'POST', '/api/push/subscribe', { token: who.token, body: { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys } });
  const mute = async (who: Account, peer: Account, mutedUntil: number | null) =>
    expect((await call(ts, 'PUT', `/api/cloud/chats/${peer.userId}/settings`, { token: who.token, body: { mutedUntil } })).status).toBe(200);
  const pushes = () => subs.map((s) => fake.to(s.path).map((p) => s.decrypt(p.body)));

  beforeEach(async () => {
    fake = await startFakePushService();
    // A long window: a muted message that pushed would hold back the next push until it closes.
    ts = await startServer({ env: { PUSH_ALLOW_INSECURE: 'true' }, pushCoalesceMs: 60_000 });
    alice = await signup(ts, 'alice');
    bob = await signup(ts, 'bob');
    carol = await signup(ts, 'carol');
    const phone = await login(ts, { username: 'alice', password: 'correct horse battery' }, 'Phone');
    subs = [newSubscriber(fake, 'alice'), newSubscriber(fake, 'alice-phone')];
    expect((await subscribe(alice, subs[0])).status).toBe(204);
    expect((await subscribe(phone, subs[1])).status).toBe(204);
    // The chats exist (settings belong to a chat); their first messages are pushed and the windows closed.
    await sendText(ts, alice, bob, 'hi bob');
    await sendText(ts, alice, carol, 'hi carol');
    await ts.relay.pushIdle();
    expect(pushes()).toEqual([[], []]);
  });
  afterEach(async () => {
    await ts.close();
    await fake.close();
  });

  it('a muted chat pushes no device of the user; an unmuted chat in the same window does', async () => {
    await mute(alice, bob, MUTED_FOREVER);
    await sendText(ts, bob, alice, 'muted');
    await ts.relay.pushIdle();
    expect(pushes()).toEqual([[], []]);

    await sendText(ts, carol, alice, 'not muted');
    for (const s of subs) await fake.waitFor(s.path, 1);
    expect(pushes()).toEqual([['{"t":"update"}'], ['{"t":"update"}']]);
  });

  it('pushes again once unmuted, and once a timed mute has run out', async () => {
    const until = Date.now() + 3600_000;
    await mute(alice, bob, until);
    ts.clock.now = until - 1;
    await sendText(ts, bob, alice, 'still muted');
    await ts.relay.pushIdle();
    expect(pushes()).toEqual([[], []]);

    ts.clock.now = until;
    await sendText(ts, bob, alice, 'mute over');
    for (const s of subs) await fake.waitFor(s.path, 1);
  });

  it('an unmuted chat pushes again', async () => {
    await mute(alice, carol, MUTED_FOREVER);
    await mute(alice, carol, null);
    await sendText(ts, carol, alice, 'heard');
    for (const s of subs) await fake.waitFor(s.path, 1);
  });
});
