/**
 * Chaos: two users write to each other as fast as the UI allows while the relay is killed and
 * restarted (once with SIGKILL, a crash) and each browser drops offline at random moments.
 * Afterwards every message must exist exactly once, in send order, on the relay and on both devices.
 *
 * The schedule comes from a seeded PRNG; the seed is printed. Replay a failure with
 * CHAOS_SEED=<seed> npx playwright test tests/e2e/chaos.spec.ts
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { removeDir, snapshotBuild, startServer, type RunningServer } from '../support/server';
import { expect, messageLog, openChatWith, signUp, test, type User } from './fixtures';
import { startSecretChat } from './secret-helpers';

// The relay is restarted mid-test: it must restart the same program even if build/ is rebuilt meanwhile.
let buildDir = 'build';
test.beforeAll(async () => {
  buildDir = await snapshotBuild();
});
test.afterAll(() => removeDir(buildDir));

/**
 * Runs `body` with Alice and Bob signed up on a relay of its own (started from the build snapshot, so
 * it restarts the same program), then closes their devices and removes the relay.
 */
async function onOwnRelay(browser: Browser, env: Record<string, string>, body: (relay: RunningServer, alice: User, bob: User) => Promise<void>) {
  const relay = await startServer(env, undefined, buildDir);
  const users: User[] = [];
  try {
    users.push(await signUp(browser, relay, 'alice', 'Alice'));
    users.push(await signUp(browser, relay, 'bob', 'Bob'));
    await body(relay, users[0], users[1]);
  } finally {
    for (const u of users) await u.context.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
}

/** mulberry32: small, fast, good enough for a test schedule. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}
type Rng = ReturnType<typeof prng>;

function chaosSeed(salt: number): number {
  const fromEnv = process.env.CHAOS_SEED;
  const seed = fromEnv ? Number(fromEnv) : (Date.now() ^ (process.pid << 8)) >>> 0;
  return (seed + salt) >>> 0;
}

const label = (who: 'a' | 'b', i: number) => `${who}-${String(i).padStart(3, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Interleaves n sends of each side in a random order. */
function sendOrder(rng: Rng, n: number): ('a' | 'b')[] {
  const order: ('a' | 'b')[] = [...Array(n).fill('a'), ...Array(n).fill('b')];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Distinct sorted indices in [lo, hi] at least `gap` apart. */
function spreadPoints(rng: Rng, count: number, lo: number, hi: number, gap: number): number[] {
  for (;;) {
    const pts = Array.from({ length: count }, () => rng.int(lo, hi)).sort((x, y) => x - y);
    if (pts.every((p, i) => i === 0 || p - pts[i - 1] >= gap)) return pts;
  }
}

interface Chaos {
  /** Send index → relay restart signal. */
  restarts: Map<number, NodeJS.Signals>;
  /** Send index → list of [side, offline duration ms]. */
  offline: Map<number, { who: 'a' | 'b'; ms: number }[]>;
  /**
   * Both sides go offline at this send index and come back only `tailMs` after the last send: the
   * last messages of both wait in outboxes with no later traffic to trigger a resend.
   */
  tail: number;
  tailMs: number;
}

function chaosPlan(rng: Rng, total: number, restarts: number, togglesPerSide: number): Chaos {
  const points = spreadPoints(rng, restarts, Math.floor(total * 0.1), Math.floor(total * 0.85), Math.floor(total / (restarts + 2)));
  const crash = rng.int(0, restarts - 1);
  const plan: Chaos = {
    restarts: new Map(points.map((p, i) => [p, i === crash ? 'SIGKILL' : 'SIGTERM'])),
    offline: new Map(),
    tail: total - rng.int(2, 6),
    tailMs: rng.int(100, 1500)
  };
  for (const who of ['a', 'b'] as const) {
    for (let k = 0; k < togglesPerSide; k++) {
      const at = rng.int(1, total - 5);
      const list = plan.offline.get(at) ?? [];
      list.push({ who, ms: rng.int(100, 1500) });
      plan.offline.set(at, list);
    }
  }
  return plan;
}

/** Runs the chaos plan alongside the sends; returns a function that awaits everything started. */
function chaosRunner(relay: RunningServer, contexts: Record<'a' | 'b', BrowserContext>, plan: Chaos, log: (s: string) => void) {
  const running: Promise<unknown>[] = [];
  let restarting: Promise<void> = Promise.resolve();
  const offlineUntil: Record<'a' | 'b', number> = { a: 0, b: 0 };
  const goOffline = (who: 'a' | 'b', until: number) => {
    const already = offlineUntil[who] > Date.now();
    offlineUntil[who] = Math.max(offlineUntil[who], until);
    if (already) return true;
    running.push(
      (async () => {
        await contexts[who].setOffline(true);
        while (Date.now() < offlineUntil[who]) await sleep(Math.min(50, Math.max(10, offlineUntil[who] - Date.now())));
        await contexts[who].setOffline(false);
      })()
    );
    return false;
  };
  return {
    at(i: number) {
      if (i === plan.tail) {
        log(`#${i}: both offline until ${plan.tailMs} ms after the last send`);
        for (const who of ['a', 'b'] as const) goOffline(who, Infinity);
      }
      const signal = plan.restarts.get(i);
      if (signal) {
        log(`#${i}: relay restart (${signal})`);
        restarting = restarting.then(async () => {
          const t0 = Date.now();
          await relay.restart(signal);
          log(`relay back after ${Date.now() - t0} ms`);
        });
        running.push(restarting);
      }
      for (const { who, ms } of plan.offline.get(i) ?? []) {
        // Overlapping windows merge: the side stays offline until the later end.
        const merged = goOffline(who, Date.now() + ms);
        log(`#${i}: ${who} offline for ${ms} ms${merged ? ' (extends)' : ''}`);
      }
    },
    /** After the last send: ends the tail spell and waits for everything started. */
    done: async () => {
      await sleep(plan.tailMs);
      offlineUntil.a = offlineUntil.b = 0;
      await Promise.all(running);
    }
  };
}

async function sessionToken(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === 'cinder_session');
  if (!cookie) throw new Error('no session cookie');
  return cookie.value;
}

interface ServerMessage {
  id: string;
  seq: number;
  senderId: string;
  text: string;
}

/** The whole cloud history with `peerId`, oldest first, paging with ?before. */
async function serverHistory(relay: RunningServer, token: string, peerId: string): Promise<ServerMessage[]> {
  const all: ServerMessage[] = [];
  let before: number | null = null;
  for (;;) {
    const q: string = before === null ? 'limit=200' : `before=${before}&limit=200`;
    const res = await fetch(`${relay.url}/api/cloud/chats/${encodeURIComponent(peerId)}/messages?${q}`, {
      headers: { authorization: `Bearer ${token}` }
    });
    expect(res.status).toBe(200);
    const { messages } = (await res.json()) as { messages: ServerMessage[] };
    all.unshift(...messages);
    if (messages.length < 200 || messages[0].seq <= 1) break;
    before = messages[0].seq;
  }
  return all;
}

async function userId(relay: RunningServer, token: string): Promise<string> {
  const res = await fetch(`${relay.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { user: { id: string } }).user.id;
}

/** Selected fields of some IndexedDB tables (ids, seqs and statuses are stored in clear). */
async function idbRows(page: Page, stores: string[]): Promise<Record<string, Record<string, unknown>[]>> {
  return page.evaluate(async (names) => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const name of names) {
      out[name] = await new Promise((res) => {
        const req = db.transaction(name).objectStore(name).getAll();
        req.onsuccess = () =>
          res(
            req.result.map((v: Record<string, unknown>) => {
              const o: Record<string, unknown> = {};
              for (const k of ['id', 'peerId', 'chatId', 'seq', 'senderId', 'status', 'mine', 'kind', 'at', 'createdAt']) if (k in v) o[k] = v[k];
              return o;
            })
          );
      });
    }
    db.close();
    return out;
  }, stores);
}

/** Fills the composer and clicks Send, as a user does (no waiting for the relay). */
async function uiSend(page: Page, text: string) {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(box).toHaveValue('');
}

/**
 * Alice ('a') and Bob ('b') click their sends in `order` while the chaos `plan` strikes, then wait
 * until it is over (relay up, both online). Returns when the sending began.
 */
async function sendThroughChaos(relay: RunningServer, alice: User, bob: User, plan: Chaos, order: ('a' | 'b')[], log: (s: string) => void): Promise<number> {
  const pages = { a: alice.page, b: bob.page };
  const chaos = chaosRunner(relay, { a: alice.context, b: bob.context }, plan, log);
  const next = { a: 1, b: 1 };
  const t0 = Date.now();
  for (let i = 0; i < order.length; i++) {
    chaos.at(i);
    const who = order[i];
    await uiSend(pages[who], label(who, next[who]++));
  }
  log(`all ${order.length} sends clicked after ${Date.now() - t0} ms`);
  await chaos.done();
  log('chaos over: relay up, both online');
  return t0;
}

test('cloud chat: 300 messages each way survive 3 relay restarts (one crash) and random offline spells, exactly once and in order', async ({ browser }) => {
  // Generous: this checks correctness, not speed, and 600 UI sends take minutes on a loaded 2-core machine.
  // 600 sends clicked in the UI: on shared 2-core machines that phase alone has taken 390–470 s, and over
  // 900 s with other test runs beside it.
  test.setTimeout(1_200_000);
  const seed = chaosSeed(0);
  console.log(`[chaos] cloud seed=${seed} (replay with CHAOS_SEED=${seed})`);
  test.info().annotations.push({ type: 'chaos-seed', description: String(seed) });
  const rng = prng(seed);
  const N = 300;
  const order = sendOrder(rng, N);
  const plan = chaosPlan(rng, order.length, 3, 6);
  const events: string[] = [];
  const log = (s: string) => events.push(`${new Date().toISOString().slice(11, 23)} ${s}`);

  await onOwnRelay(browser, { SEND_RATE_BURST: '30', SEND_RATE_PER_SEC: '10' }, async (relay, alice, bob) => {
    await openChatWith(alice.page, bob.username);
    await openChatWith(bob.page, alice.username);
    const t0 = await sendThroughChaos(relay, alice, bob, plan, order, log);

    const [ta, tb] = [await sessionToken(alice.context), await sessionToken(bob.context)];
    const [aliceId, bobId] = [await userId(relay, ta), await userId(relay, tb)];
    const expected = (who: 'a' | 'b') => Array.from({ length: N }, (_, k) => label(who, k + 1));

    // Converge: both devices hold all 2N messages as sent, with an empty outbox.
    const state = async (page: Page, peerId: string) => {
      const t = await idbRows(page, ['messages', 'outbox']);
      const msgs = t.messages.filter((m) => m.peerId === peerId);
      return {
        sent: msgs.filter((m) => (m.seq as number) > 0 && m.status === 'sent').length,
        pending: msgs.filter((m) => m.status === 'pending').length,
        failed: msgs.filter((m) => m.status === 'failed').length,
        outbox: t.outbox.length
      };
    };
    try {
      await expect
        .poll(async () => [await state(alice.page, bobId), await state(bob.page, aliceId)], { timeout: 90_000, intervals: [500, 1000] })
        .toEqual([
          { sent: 2 * N, pending: 0, failed: 0, outbox: 0 },
          { sent: 2 * N, pending: 0, failed: 0, outbox: 0 }
        ]);
    } finally {
      log(`converge check ended after ${Date.now() - t0} ms`);
      console.log(`[chaos] seed=${seed}\n${events.join('\n')}`);
    }

    // The relay: exactly 2N messages, each text once, each sender's texts in send order by seq.
    const fromAlice = await serverHistory(relay, ta, bobId);
    const fromBob = await serverHistory(relay, tb, aliceId);
    expect(fromBob.map((m) => m.id)).toEqual(fromAlice.map((m) => m.id));
    expect(fromAlice).toHaveLength(2 * N);
    expect(new Set(fromAlice.map((m) => m.id)).size).toBe(2 * N);
    expect(fromAlice.map((m) => m.seq)).toEqual(Array.from({ length: 2 * N }, (_, k) => k + 1));
    expect(fromAlice.filter((m) => m.senderId === aliceId).map((m) => m.text)).toEqual(expected('a'));
    expect(fromAlice.filter((m) => m.senderId === bobId).map((m) => m.text)).toEqual(expected('b'));

    // Each device: the same 2N ids with the same seqs as the relay, nothing pending, empty outbox.
    const serverIdSeq = fromAlice.map((m) => `${m.id}@${m.seq}`).sort();
    for (const [page, peerId] of [
      [alice.page, bobId],
      [bob.page, aliceId]
    ] as const) {
      const t = await idbRows(page, ['messages', 'outbox']);
      const msgs = t.messages.filter((m) => m.peerId === peerId);
      expect(msgs.map((m) => `${m.id}@${m.seq}`).sort()).toEqual(serverIdSeq);
      expect(msgs.filter((m) => m.status !== 'sent')).toEqual([]);
      expect(t.outbox).toEqual([]);
    }

    // The screens show the last messages of both sides.
    for (const page of [alice.page, bob.page]) {
      await expect(messageLog(page).getByText(label('a', N), { exact: true })).toBeVisible();
      await expect(messageLog(page).getByText(label('b', N), { exact: true })).toBeVisible();
    }
  });
});

test('secret chat: 100 messages each way survive 2 relay restarts and random offline spells, exactly once and in order', async ({ browser }) => {
  test.setTimeout(600_000);
  const seed = chaosSeed(1);
  console.log(`[chaos] secret seed=${seed} (replay with CHAOS_SEED=${seed - 1})`);
  test.info().annotations.push({ type: 'chaos-seed', description: String(seed - 1) });
  const rng = prng(seed);
  const N = 100;
  const order = sendOrder(rng, N);
  const plan = chaosPlan(rng, order.length, 2, 4);
  const events: string[] = [];
  const log = (s: string) => events.push(`${new Date().toISOString().slice(11, 23)} ${s}`);

  await onOwnRelay(browser, { SEND_RATE_BURST: '30', SEND_RATE_PER_SEC: '10' }, async (relay, alice, bob) => {
    const chatId = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
    await bob.page.goto(`/secret/${chatId}`);
    await expect(bob.page.getByText("You joined Alice's secret chat.")).toBeVisible();
    const t0 = await sendThroughChaos(relay, alice, bob, plan, order, log);

    /** The rendered history: every text message with its id, in display order. */
    const shown = (page: Page) =>
      messageLog(page)
        .locator('li.msg[data-message-id]')
        .evaluateAll((els) =>
          els.map((e) => ({ id: e.getAttribute('data-message-id')!, mine: e.classList.contains('mine'), text: e.querySelector('.text')?.textContent ?? '' }))
        );
    const state = async (page: Page) => {
      const t = await idbRows(page, ['secretMessages', 'sendQueue']);
      const rows = t.secretMessages.filter((m) => m.chatId === chatId);
      const services = await messageLog(page).locator('li.service').count();
      return {
        texts: rows.length - services,
        shown: (await shown(page)).length,
        pending: rows.filter((m) => m.status === 'pending' || m.status === 'failed').length,
        queue: t.sendQueue.length
      };
    };
    try {
      await expect
        .poll(async () => [await state(alice.page), await state(bob.page)], { timeout: 90_000, intervals: [500, 1000] })
        .toEqual([
          { texts: 2 * N, shown: 2 * N, pending: 0, queue: 0 },
          { texts: 2 * N, shown: 2 * N, pending: 0, queue: 0 }
        ]);
    } finally {
      log(`converge check ended after ${Date.now() - t0} ms`);
      console.log(`[chaos] secret seed=${seed - 1}\n${events.join('\n')}`);
    }

    const expected = (who: 'a' | 'b') => Array.from({ length: N }, (_, k) => label(who, k + 1));
    const [onAlice, onBob] = [await shown(alice.page), await shown(bob.page)];
    for (const [list, mineIs] of [
      [onAlice, 'a'],
      [onBob, 'b']
    ] as const) {
      // Every text exactly once, each sender's in send order.
      expect(new Set(list.map((m) => m.id)).size).toBe(2 * N);
      expect(list.filter((m) => m.mine).map((m) => m.text)).toEqual(expected(mineIs));
      expect(list.filter((m) => !m.mine).map((m) => m.text)).toEqual(expected(mineIs === 'a' ? 'b' : 'a'));
    }
    // Both sides name each message by the same id.
    expect(onBob.map((m) => m.id).sort()).toEqual(onAlice.map((m) => m.id).sort());
  });
});

test('a message written while the network is down (the socket survives the outage) goes out once it is back, cloud and secret', async ({ browser }) => {
  await onOwnRelay(browser, {}, async (relay, alice, bob) => {
    const chatId = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
    await openChatWith(alice.page, bob.username);
    await uiSend(alice.page, 'online first');
    await expect(messageLog(alice.page).locator('[data-ticks="sent"]')).toHaveCount(1);
    // A second tab on the secret chat (each tab has its own worker and socket; no navigation later,
    // since a page load would reconnect and hide what is tested).
    const secretTab = await alice.context.newPage();
    await secretTab.goto(`/secret/${chatId}`);
    await expect(secretTab.getByLabel('Message', { exact: true })).toBeVisible();

    // Chromium's offline mode fails requests but keeps the open WebSocket: no reconnect, no hello.
    await alice.context.setOffline(true);
    await uiSend(alice.page, 'cloud in the tunnel');
    await uiSend(secretTab, 'secret in the tunnel');
    await expect(messageLog(alice.page).locator('[data-ticks="pending"]')).toHaveCount(1);
    await expect(messageLog(secretTab).locator('[data-ticks="pending"]')).toHaveCount(1);
    await alice.page.waitForTimeout(500);
    await alice.context.setOffline(false);

    // Nothing else happens (no other send, no reconnect): both still go out.
    await expect(messageLog(alice.page).locator('[data-ticks="pending"]')).toHaveCount(0, { timeout: 15_000 });
    // (Read from the database: the other tab's worker may be the one that sent it, and tells only its own page.)
    await expect
      .poll(
        async () => {
          const t = await idbRows(secretTab, ['secretMessages', 'sendQueue']);
          return { queue: t.sendQueue.length, pending: t.secretMessages.filter((m) => m.status === 'pending').length };
        },
        { timeout: 15_000 }
      )
      .toEqual({ queue: 0, pending: 0 });
    await bob.page.goto(`/secret/${chatId}`);
    await expect(messageLog(bob.page).getByText('secret in the tunnel')).toBeVisible();
    await openChatWith(bob.page, alice.username);
    await expect(messageLog(bob.page).getByText('cloud in the tunnel')).toBeVisible();
  });
});

test('an update written while the sync after a reconnect failed is not skipped when live updates resume', async ({ browser }) => {
  await onOwnRelay(browser, {}, async (relay, alice, bob) => {
    await openChatWith(alice.page, bob.username);
    await openChatWith(bob.page, alice.username);
    await uiSend(bob.page, 'before');
    await expect(messageLog(alice.page).getByText('before')).toBeVisible();

    // Alice's catch-up pull after the restart fails (a blip at the wrong moment)...
    let failedPulls = 0;
    await alice.context.route('**/api/sync*', (route) => {
      failedPulls++;
      return route.abort();
    });
    await relay.restart('SIGKILL');
    // ...while Bob writes before Alice's socket is back: she only learns of it by pulling.
    await uiSend(bob.page, 'while alice reconnects');
    await expect(messageLog(bob.page).locator('[data-ticks="pending"]')).toHaveCount(0, { timeout: 10_000 });
    await expect.poll(() => failedPulls, { timeout: 15_000 }).toBeGreaterThan(0);
    await alice.context.unroute('**/api/sync*');
    // The next live update must not move her cursor past the one she missed.
    await uiSend(bob.page, 'after the blip');
    await expect(messageLog(alice.page).getByText('after the blip')).toBeVisible();
    await expect(messageLog(alice.page).getByText('while alice reconnects')).toBeVisible();
    const texts = await messageLog(alice.page).locator('li.msg .text').allTextContents();
    expect(texts.map((t) => t.trim())).toEqual(['before', 'while alice reconnects', 'after the blip']);
  });
});
