/**
 * Live envelopes over the real relay: two SecretEngines, each with its HTTP calls and its WebSocket to
 * an in-process relay. A frame's envelope next in queue order is handled from the frame (no GET
 * /api/envelopes); a gap, or a frame ahead of an older one, still pulls, in order and exactly once.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ServerFrame } from '$lib/api/wire';
import { secretMessages } from '$lib/worker/secret';
import { connect, startServer, type TestServer, type WsClient } from '../server/helpers';
import { realDevice } from '../support/real-relay';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

let dbs = 0;

type LiveFrame = Extract<ServerFrame, { t: 'envelope' }>;

/** A signed-up device: its engine, its socket, and a hook deciding what each envelope frame does. */
async function liveDevice(ts: TestServer, name: string) {
  const dev = await realDevice(ts, `${name}${++dbs}`);
  const isPull = (c: string) => c.startsWith('GET /api/envelopes');
  // GET /api/envelopes calls since the test last set `pulls` (to 0).
  let base = 0;
  const counts = {
    get pulls() {
      return dev.relay.calls.filter(isPull).length - base;
    },
    set pulls(n: number) {
      base = dev.relay.calls.filter(isPull).length - n;
    }
  };
  const { engine, token } = dev;
  const ws: WsClient = await connect(ts, token);
  await ws.next((f) => f.t === 'hello');
  const d = {
    ...dev,
    ids: { userId: dev.userId, deviceId: dev.deviceId },
    counts,
    ws,
    /** What a frame does; by default what core.ts does with it. */
    onEnvelope: (f: LiveFrame): unknown => engine.live(f.envelope, f.prev),
    frames: [] as LiveFrame[],
    /** The frames' runs still going (awaited by settle()). */
    runs: [] as Promise<unknown>[]
  };
  ws.ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as ServerFrame;
    if (f.t !== 'envelope') return;
    d.frames.push(f);
    const run = d.onEnvelope(f);
    if (run instanceof Promise) d.runs.push(run.then(() => engine.flush()));
  });
  return d;
}
type LiveDevice = Awaited<ReturnType<typeof liveDevice>>;

const texts = async (d: LiveDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 100 })).messages.filter((m) => m.kind === 'text').map((m) => m.text);

/** Waits until `d` shows `want` (the texts of the chat, in order), then until its frames' runs are done. */
async function shows(d: LiveDevice, chatId: string, want: string[]) {
  await vi.waitFor(async () => expect(await texts(d, chatId)).toEqual(want), { timeout: 20_000, interval: 20 });
  await Promise.all(d.runs);
}

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.close();
  ts = null;
});

async function established() {
  ts = await startServer();
  const alice = await liveDevice(ts, 'alice');
  const bob = await liveDevice(ts, 'bob');
  // Both speak protocol 2: the chat's envelopes are sealed posts, whose frames carry `prev` too.
  await alice.engine.maintain();
  await bob.engine.maintain();
  const chatId = await alice.engine.start(bob.ids.userId);
  await alice.engine.flush();
  // Request, accept, key confirmation: each side's frames drive the handshake.
  await vi.waitFor(async () => expect((await alice.db.secretChats.get(chatId))?.status).toBe('active'), { timeout: 20_000, interval: 20 });
  await vi.waitFor(async () => expect((await bob.db.secretChats.get(chatId))?.status).toBe('active'), { timeout: 20_000, interval: 20 });
  await Promise.all([...alice.runs, ...bob.runs]);
  // The key confirmation went as a sealed post: a version-2 chat.
  expect(alice.relay.calls).toContain('POST /api/sealed');
  return { ts, alice, bob, chatId };
}

const queued = (d: LiveDevice) => ts!.store.countEnvelopes(d.ids.deviceId, Date.now());

describe('live envelopes over the real relay', () => {
  it('a live message in a quiet chat is taken from the frame: no pull, acknowledged, shown once', async () => {
    const { alice, bob, chatId } = await established();
    bob.counts.pulls = 0;
    const framesBefore = bob.frames.length;
    for (const text of ['one', 'two', 'three']) {
      await alice.engine.sendText(chatId, text, null);
      await alice.engine.flush();
      await shows(bob, chatId, ['one', 'two', 'three'].slice(0, ['one', 'two', 'three'].indexOf(text) + 1));
    }
    expect(bob.frames.length - framesBefore).toBeGreaterThanOrEqual(3);
    expect(bob.counts.pulls).toBe(0);
    await vi.waitFor(async () => expect(await queued(bob)).toBe(0), { timeout: 10_000, interval: 20 });
    // Bob's cumulative ACKs reach Alice the same way: her side pulled nothing either once established.
    await vi.waitFor(async () => expect(await queued(alice)).toBe(0), { timeout: 10_000, interval: 20 });
  });

  it('a frame after a gap (an earlier frame lost) pulls, and both arrive in order, once', async () => {
    const { alice, bob, chatId } = await established();
    bob.counts.pulls = 0;
    // The first envelope's frame is lost: the next one names it as queued before it (prev).
    let dropped: LiveFrame | null = null;
    bob.onEnvelope = (f) => {
      if (!dropped) return void (dropped = f);
      return bob.engine.live(f.envelope, f.prev);
    };
    await alice.engine.sendText(chatId, 'first', null);
    await alice.engine.flush();
    await vi.waitFor(() => expect(dropped).not.toBeNull(), { timeout: 10_000, interval: 20 });
    expect(await texts(bob, chatId)).toEqual([]);
    await alice.engine.sendText(chatId, 'second', null);
    await alice.engine.flush();
    await shows(bob, chatId, ['first', 'second']);
    expect(bob.frames.at(-1)!.prev).toBe(dropped!.envelope.seq);
    expect(bob.counts.pulls).toBeGreaterThan(0);
    await vi.waitFor(async () => expect(await queued(bob)).toBe(0), { timeout: 10_000, interval: 20 });

    // The lost frame turning up late changes nothing (already seen), and costs no pull.
    const pulls = bob.counts.pulls;
    await bob.engine.live(dropped!.envelope, dropped!.prev);
    expect(await texts(bob, chatId)).toEqual(['first', 'second']);
    expect(bob.counts.pulls).toBe(pulls);

    // Back in order: the next live message is taken from its frame again.
    await alice.engine.sendText(chatId, 'third', null);
    await alice.engine.flush();
    await shows(bob, chatId, ['first', 'second', 'third']);
    expect(bob.counts.pulls).toBe(pulls);
  });

  it('frames arriving newest first: the newer one pulls both, the older is then a no-op', async () => {
    const { alice, bob, chatId } = await established();
    bob.counts.pulls = 0;
    const held: LiveFrame[] = [];
    bob.onEnvelope = (f) => void held.push(f);
    await alice.engine.sendText(chatId, 'a', null);
    await alice.engine.sendText(chatId, 'b', null);
    await alice.engine.flush();
    await vi.waitFor(() => expect(held.length).toBe(2), { timeout: 10_000, interval: 20 });
    const [older, newer] = held;
    expect(newer.prev).toBe(older.envelope.seq);
    await bob.engine.live(newer.envelope, newer.prev);
    expect(bob.counts.pulls).toBeGreaterThan(0);
    expect(await texts(bob, chatId)).toEqual(['a', 'b']);
    const pulls = bob.counts.pulls;
    await bob.engine.live(older.envelope, older.prev);
    expect(await texts(bob, chatId)).toEqual(['a', 'b']);
    expect(bob.counts.pulls).toBe(pulls);
    expect(await queued(bob)).toBe(0);
  });

  it('in order, the next frame is taken directly; after a new socket (reconnected) it pulls instead', async () => {
    const { alice, bob, chatId } = await established();
    bob.counts.pulls = 0;
    const held: LiveFrame[] = [];
    bob.onEnvelope = (f) => void held.push(f);
    for (const text of ['p', 'q', 'r']) await alice.engine.sendText(chatId, text, null);
    await alice.engine.flush();
    await vi.waitFor(() => expect(held.length).toBe(3), { timeout: 10_000, interval: 20 });
    expect(held[1].prev).toBe(held[0].envelope.seq);
    await bob.engine.live(held[0].envelope, held[0].prev);
    await bob.engine.live(held[1].envelope, held[1].prev);
    expect(bob.counts.pulls).toBe(0);
    expect(await texts(bob, chatId)).toEqual(['p', 'q']);
    bob.engine.reconnected();
    await bob.engine.live(held[2].envelope, held[2].prev);
    expect(bob.counts.pulls).toBeGreaterThan(0);
    expect(await texts(bob, chatId)).toEqual(['p', 'q', 'r']);
  });

  it('a frame arriving while a pull waits for its last ACK pulls again: the envelope is not left on the relay', async () => {
    const { alice, bob, chatId } = await established();
    // 'queued' waits on the relay while Bob's frames are ignored; his pull then takes it.
    bob.onEnvelope = () => undefined;
    await alice.engine.sendText(chatId, 'queued', null);
    await alice.engine.flush();
    await vi.waitFor(async () => expect(await queued(bob)).toBe(1), { timeout: 10_000, interval: 20 });
    // The pull's last ACK is held on its way to the relay.
    let release!: () => void;
    const acked = new Promise<void>((r) => (release = r));
    let acking = false;
    const ack = bob.relay.ack;
    bob.relay.ack = async (upTo) => {
      acking = true;
      await acked;
      return ack(upTo);
    };
    const pull = bob.engine.pull();
    await vi.waitFor(() => expect(acking).toBe(true), { timeout: 10_000, interval: 10 });
    // Meanwhile a new message's frame comes: the pull running, it asks that pull for another pass.
    bob.onEnvelope = (f) => bob.engine.live(f.envelope, f.prev);
    const frames = bob.frames.length;
    await alice.engine.sendText(chatId, 'during the ack', null);
    await alice.engine.flush();
    await vi.waitFor(() => expect(bob.frames.length).toBe(frames + 1), { timeout: 10_000, interval: 10 });
    release();
    bob.relay.ack = ack;
    await pull;
    await Promise.all(bob.runs);
    // Nothing else comes to pull (no frame, no reconnect): that pass alone must have taken it.
    expect(await texts(bob, chatId)).toEqual(['queued', 'during the ack']);
    expect(await queued(bob)).toBe(0);
  });

  it('a frame without prev (an older relay, a relay notice) pulls', async () => {
    const { alice, bob, chatId } = await established();
    bob.counts.pulls = 0;
    bob.onEnvelope = (f) => bob.engine.live(f.envelope, undefined);
    await alice.engine.sendText(chatId, 'x', null);
    await alice.engine.flush();
    await shows(bob, chatId, ['x']);
    expect(bob.counts.pulls).toBeGreaterThan(0);
  });
});
