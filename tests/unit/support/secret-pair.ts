/**
 * SecretEngines over a FakeRelay, for tests that run a real secret chat in Node: each device joins
 * the relay and its engine talks to it through the relay's view for that device.
 */
import { generateIdentity, nobleBackend } from '$lib/crypto';
import type { WorkerEvent } from '$lib/worker/protocol';
import { SecretEngine, secretRows, type SecretContext } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import { FakeClock } from './fake-clock';
import { FakeRelay, type RelayMember } from './fake-relay';
import { unlockedStore } from './store';

const backend = nobleBackend();

export type SecretDevice = Awaited<ReturnType<typeof secretDevice>>;
export type SecretEvent = Extract<WorkerEvent, { type: 'secret' }>;

export async function secretDevice(relay: FakeRelay, dbName: string, name: string, ids: { userId: string; deviceId: string }, extra: Partial<SecretContext> = {}) {
  const { db, vault } = await unlockedStore(dbName);
  const member: RelayMember = { user: { id: ids.userId, username: name, displayName: name }, deviceId: ids.deviceId, identity: await generateIdentity(backend) };
  relay.join(member);
  // Receipt batches and wake-up registrations wait on this clock: they go when a test sends them or moves it on.
  const clock = new FakeClock();
  const engine = new SecretEngine({
    db,
    vault,
    backend: async () => backend,
    identity: async () => member.identity,
    me: () => ids,
    emit: () => undefined,
    relay: relay.as(ids.deviceId),
    clock,
    ...extra
  });
  return { db, vault, engine, member, clock };
}

/** Hands `to` everything the relay holds for it, then sends what that produced (its ACKs too, without their random wait). */
export async function deliver(relay: FakeRelay, to: SecretDevice): Promise<void> {
  await to.engine.receive(relay.take(to.member.deviceId));
  await to.engine.sendReceipts();
  await to.engine.flush();
}

/** Message `id` of a secret chat as a page reads it on device `d`. */
export const rowView = async (d: SecretDevice, chatId: string, id: string) => (await secretRows(d.db, d.vault, chatId, [id]))[0];

/** What device `d` refused from its peers so far, by code (its diagnostics). */
export const refusals = async (d: SecretDevice) => (((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.byCode ?? {}) as Record<string, number>;

/**
 * A test file's devices over a FakeRelay: `device(relay, name)` opens a fresh database
 * (`<prefix>-<name>-<n>`) for user `u-<name>`, device `d-<name>`; `established()` gives Alice and
 * Bob with an active secret chat (request, accept, key confirmation), and each device's 'secret'
 * events from then on (`events`).
 */
export function secretPair(prefix: string) {
  let dbs = 0;
  const device = (relay: FakeRelay, name: string, userId = `u-${name}`, extra: Partial<SecretContext> = {}) =>
    secretDevice(relay, `${prefix}-${name}-${++dbs}`, name, { userId, deviceId: `d-${name}` }, extra);
  /** `sealed`: both devices first tell the relay they speak protocol 2 (a sealed-mode FakeRelay), so the chat is version 2. */
  async function established(opts: { relay?: FakeRelay; sealed?: boolean } = {}) {
    const relay = opts.relay ?? new FakeRelay();
    const events = { alice: [] as SecretEvent[], bob: [] as SecretEvent[] };
    const keep = (list: SecretEvent[]) => ({ emit: (e: WorkerEvent) => void (e.type === 'secret' && list.push(e)) });
    const alice = await device(relay, 'alice', undefined, keep(events.alice));
    const bob = await device(relay, 'bob', undefined, keep(events.bob));
    if (opts.sealed) {
      await alice.engine.maintain();
      await bob.engine.maintain();
    }
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);
    await deliver(relay, bob);
    events.alice.length = events.bob.length = 0;
    return { relay, alice, bob, chatId, events };
  }
  return { device, established };
}
