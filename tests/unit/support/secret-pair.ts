/**
 * SecretEngines over a FakeRelay, for tests that run a real secret chat in Node: each device joins
 * the relay and its engine talks to it through the relay's view for that device.
 */
import { generateIdentity, nobleBackend } from '$lib/crypto';
import { SecretEngine, type SecretContext } from '$lib/worker/secret';
import { FakeClock } from './fake-clock';
import { FakeRelay, type RelayMember } from './fake-relay';
import { unlockedStore } from './store';

const backend = nobleBackend();

export type SecretDevice = Awaited<ReturnType<typeof secretDevice>>;

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

/**
 * A test file's devices over a FakeRelay: `device(relay, name)` opens a fresh database
 * (`<prefix>-<name>-<n>`) for user `u-<name>`, device `d-<name>`; `established()` gives Alice and
 * Bob with an active secret chat (request, accept, key confirmation).
 */
export function secretPair(prefix: string) {
  let dbs = 0;
  const device = (relay: FakeRelay, name: string, userId = `u-${name}`) => secretDevice(relay, `${prefix}-${name}-${++dbs}`, name, { userId, deviceId: `d-${name}` });
  /** `sealed`: both devices first tell the relay they speak protocol 2 (a sealed-mode FakeRelay), so the chat is version 2. */
  async function established(opts: { relay?: FakeRelay; sealed?: boolean } = {}) {
    const relay = opts.relay ?? new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    if (opts.sealed) {
      await alice.engine.maintain();
      await bob.engine.maintain();
    }
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);
    await deliver(relay, bob);
    return { relay, alice, bob, chatId };
  }
  return { device, established };
}
