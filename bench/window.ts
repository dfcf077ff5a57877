/**
 * Page-side work per incoming secret message in an open chat: `npm run bench:window` (~30-60 s, Node).
 *
 * Two SecretEngines over an in-memory relay (tests/unit/support): Bob's chat holds 300 messages, the
 * window the chat screen keeps (CHAT_WINDOW). Then Alice sends one message at a time; Bob's engine
 * receives it and emits its 'secret' event. For each event, both ways the page can follow it, in turns
 * (which goes first alternates), on the same state:
 *   - full: what the window did before (and still does when an event cannot name its rows): the chat
 *     view plus every row from the window's first on (`secretMessages` from, CHAT_WINDOW + CHAT_PAGE);
 *   - rows: the chat view plus the rows the event named (`secretRows`), spliced in (chat/splice.ts).
 * Both results go through structuredClone (the RPC's postMessage copy) and end in the window; the bench
 * checks that both windows are equal after every event. Figures: message rows decrypted per event and
 * ms per event (median, p90), the ratio full/rows, the load average and the date.
 */
import 'fake-indexeddb/auto';
import { loadavg } from 'node:os';
import { CHAT_PAGE, CHAT_WINDOW, joinNewer } from '$lib/chat/chat-ui';
import { spliceRows } from '$lib/chat/splice';
import type { SecretMessageView, WorkerEvent } from '$lib/worker/protocol';
import { secretChatView, secretMessages, secretRows } from '$lib/worker/secret';
import type { Vault } from '$lib/store/vault';
import { FakeRelay } from '../tests/unit/support/fake-relay';
import { deliver, secretDevice } from '../tests/unit/support/secret-pair';
import { fmt, percentile, report, watchdog } from './support';

const FILL = CHAT_WINDOW;
const EVENTS = Number(process.env.BENCH_WINDOW_EVENTS ?? 60);
watchdog(240_000);

/** Bob's vault, counting what the reads decrypt: message rows, and everything else (the chat's state). */
const counts = { rows: 0, other: 0 };
function counting(vault: Vault): Vault {
  return new Proxy(vault, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop === 'open' && String(args[0]).startsWith('secretMessages/')) counts.rows++;
        else if (String(prop).startsWith('open')) counts.other++;
        return v.apply(target, args);
      };
    }
  });
}

const relay = new FakeRelay();
let lastEvent: Extract<WorkerEvent, { type: 'secret' }> | null = null;
const alice = await secretDevice(relay, `bench-window-alice-${Date.now()}`, 'alice', { userId: 'u-alice', deviceId: 'd-alice' });
const bob = await secretDevice(
  relay,
  `bench-window-bob-${Date.now()}`,
  'bob',
  { userId: 'u-bob', deviceId: 'd-bob' },
  { emit: (e) => void (e.type === 'secret' && (lastEvent = e)) }
);
const chatId = await alice.engine.start('u-bob');
await alice.engine.flush();
await deliver(relay, bob);
await deliver(relay, alice);
await deliver(relay, bob);
for (let i = 0; i < FILL; i++) await alice.engine.sendText(chatId, `backlog message ${i} — a line of ordinary length for a chat bubble`, null);
await alice.engine.flush();
await deliver(relay, bob);

const vault = counting(bob.vault);
const { db } = bob;
const cursor = (m: SecretMessageView) => ({ at: m.at, id: m.id });
let window = (await secretMessages(db, vault, chatId, { limit: CHAT_WINDOW })).messages;
console.log(`Cinder open-chat bench — a ${window.length}-row secret chat window, ${EVENTS} incoming messages, ${new Date().toISOString()}`);

/** The page's read after an event, as before: the chat and the whole window. */
async function full(): Promise<SecretMessageView[]> {
  const [chat, res] = structuredClone(
    await Promise.all([secretChatView(db, vault, chatId), secretMessages(db, vault, chatId, { from: cursor(window[0]), limit: CHAT_WINDOW + CHAT_PAGE })])
  );
  void chat;
  return joinNewer([], res.messages).rows;
}

/** The page's read after an event now: the chat and the rows the event named, spliced in. */
async function rows(ids: string[]): Promise<SecretMessageView[]> {
  const [chat, fresh] = structuredClone(await Promise.all([secretChatView(db, vault, chatId), secretRows(db, vault, chatId, ids)]));
  void chat;
  return joinNewer([], spliceRows(window, ids, fresh, { hasMore: true, hasNewer: false }).rows).rows;
}

async function timed<T>(f: () => Promise<T>) {
  counts.rows = counts.other = 0;
  const t = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t, rows: counts.rows, other: counts.other };
}

const samples = { full: [] as number[], rows: [] as number[], fullRows: [] as number[], rowsRows: [] as number[], fullOther: [] as number[], rowsOther: [] as number[] };
let mismatches = 0;
for (let i = 0; i < EVENTS; i++) {
  lastEvent = null;
  await alice.engine.sendText(chatId, `live message ${i}`, null);
  await alice.engine.flush();
  await deliver(relay, bob);
  const ids = (lastEvent as Extract<WorkerEvent, { type: 'secret' }> | null)?.rows;
  if (!ids) throw new Error('the event named no rows');
  const a = i % 2 ? await timed(full) : await timed(() => rows(ids));
  const b = i % 2 ? await timed(() => rows(ids)) : await timed(full);
  const [f, r] = i % 2 ? [a, b] : [b, a];
  if (JSON.stringify(f.value) !== JSON.stringify(r.value)) mismatches++;
  samples.full.push(f.ms);
  samples.rows.push(r.ms);
  samples.fullRows.push(f.rows);
  samples.rowsRows.push(r.rows);
  samples.fullOther.push(f.other);
  samples.rowsOther.push(r.other);
  window = r.value;
}

const med = (xs: number[]) => percentile(xs, 50);
const load = loadavg()
  .map((x) => x.toFixed(1))
  .join(' / ');
console.log(`  window after the run: ${window.length} rows; full and rows windows differed after ${mismatches} of ${EVENTS} events`);
report('open chat, per incoming message: rows decrypted (full re-read)', med(samples.fullRows), 'rows', 'before: baseline');
report(
  'open chat, per incoming message: rows decrypted (changed rows)',
  med(samples.rowsRows),
  'rows',
  `${fmt(med(samples.fullRows) / Math.max(1, med(samples.rowsRows)))}× fewer`
);
report('open chat, per incoming message: other decrypts (chat state)', med(samples.rowsOther), 'opens', `full re-read: ${fmt(med(samples.fullOther))}`);
report('open chat, per incoming message: ms (full re-read), median', med(samples.full), 'ms', `p90 ${fmt(percentile(samples.full, 90), 1)}`, null, 2);
report(
  'open chat, per incoming message: ms (changed rows), median',
  med(samples.rows),
  'ms',
  `p90 ${fmt(percentile(samples.rows, 90), 1)}; ${fmt(med(samples.full) / med(samples.rows), 1)}× less than full`,
  mismatches === 0,
  2
);
console.log(`  load average ${load} (1/5/15 min)`);
if (mismatches) {
  console.error('the changed-rows window differed from the full re-read');
  process.exit(1);
}
process.exit(0);
