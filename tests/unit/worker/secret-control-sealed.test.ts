// What the relay holds of a secret chat's control traffic (issue #20 §2: timer changes, receipts,
// typing and deletes stay inside the encryption). Every post-handshake envelope is one opaque body:
// none of them carries its kind, a message id, the timer or the text in clear, and a short text,
// a timer change, a read receipt, a typing signal and a delete are all the same size on the wire.
// (The envelope header — chat id, ratchet key, counter — is still readable: that is #20 §3.)
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { fromB64u } from '$lib/api/b64';
import type { Envelope } from '$lib/api/wire';
import { secretMessages } from '$lib/worker/secret';
import { deliver, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('secret-control-sealed');

/** Whether `needle` (as UTF-8, or as the base64url the wire uses) appears anywhere in the body. */
function carries(body: Uint8Array, needle: string): boolean {
  const latin = Array.from(body, (b) => String.fromCharCode(b)).join('');
  return latin.includes(needle) || Buffer.from(body).toString('base64url').includes(Buffer.from(needle).toString('base64url'));
}

describe('secret control messages on the relay', () => {
  it('are opaque and the same size as a short text: timer change, read receipt, typing, delete', async () => {
    const { relay, alice, bob, chatId } = await established();
    const seen: { what: string; env: Envelope }[] = [];
    const capture = (what: string, to: string) => {
      const taken = relay.take(to);
      expect(taken.length, what).toBeGreaterThan(0);
      for (const env of taken) seen.push({ what, env });
      return taken;
    };
    const handTo = async (envs: Envelope[], device: typeof bob) => {
      await device.engine.receive(envs);
      await device.engine.flush();
    };

    const text = 'meet at the old mill';
    const id = await alice.engine.sendText(chatId, text, null);
    await alice.engine.flush();
    await handTo(capture('text', bob.member.deviceId), bob);

    await alice.engine.setTimer(chatId, 3600);
    await alice.engine.flush();
    await handTo(capture('timer', bob.member.deviceId), bob);

    await bob.engine.typing(chatId);
    await bob.engine.flush();
    await handTo(capture('typing', alice.member.deviceId), alice);

    await bob.engine.markRead(chatId, [id]);
    // The read report waits for the chat's receipt batch (receipts.ts); sent now instead.
    await bob.engine.sendReceipts();
    await handTo(capture('receipt', alice.member.deviceId), alice);

    await alice.engine.deleteMessages(chatId, [id]);
    await alice.engine.flush();
    await handTo(capture('delete', bob.member.deviceId), bob);
    await deliver(relay, alice);

    // The delete took effect on Bob's side: the traffic above is the real thing, not a no-op.
    const left = (await secretMessages(bob.db, bob.vault, chatId, { limit: 50 })).messages;
    expect(left.some((m) => m.text === text)).toBe(false);

    const secrets = [text, id, 'typing', 'read', 'ttl', '3600', '"k"'];
    for (const { what, env } of seen) {
      const body = fromB64u(env.body);
      for (const s of secrets) expect(carries(body, s), `${what} carries ${s}`).toBe(false);
      expect(env.requestId, what).toBeNull();
    }
    const sizes = new Map(seen.map(({ what, env }) => [what, fromB64u(env.body).length]));
    expect(new Set(sizes.values()).size, JSON.stringify(Object.fromEntries(sizes))).toBe(1);
  });
});
