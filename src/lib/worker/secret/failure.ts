/**
 * A handshake that ends without a chat, told to the person instead of "Waiting…" forever.
 *
 * The protocol can tell three things, and only these (a device that is merely offline is never
 * "failed": the relay keeps the request for it):
 * - the device that claimed the request could not accept it (it failed to verify it, or speaks
 *   another version): it sends back a REFUSE envelope, and since it holds the claim no other device
 *   of the peer can accept any more;
 * - the relay refuses for good to take a request for a device (signed out, 404/410; the peer blocked
 *   me, 403 `blocked`, which the chat then names);
 * - none of the devices the requests went to is still signed in (the relay dropped their queues).
 *
 * REFUSE wire format (19 bytes; unsigned: it comes through the relay, which names and authenticates
 * the sending device, and a relay could as well drop the request, so a forged refusal gains it
 * nothing it did not have):
 *   0  u8   version = 0x01
 *   1  u8   kind    = 0x04 (refuse)
 *   2  16   chat_id of the request refused
 *  18  u8   reason: 0x01 invalid (did not verify), 0x02 unsupported (version)
 * A device without this code records a REFUSE as a malformed envelope and drops it.
 */
import type { AddressedEnvelope } from '$lib/api/wire';
import { toB64u } from '$lib/api/b64';
import { toHex } from '$lib/crypto';
import type { SecretChatRow, SecretFailure } from '$lib/store/db';
import type { Chats } from './chats';
import { SecretError } from './errors';
import type { SecretState } from './state';
import { pendingTarget } from './pending-target';
import { dropPendings, wipeState } from './stored';

export const KIND_REFUSE = 0x04;
const VERSION = 0x01;
const REASONS = { refused: 0x01, unsupported: 0x02 } as const;
const REFUSE_LEN = 19;

/** The REFUSE body for a request, or null if the request is too short to name its chat. */
export function encodeRefusal(request: Uint8Array, reason: 'refused' | 'unsupported'): Uint8Array | null {
  if (request.length < 18) return null;
  const out = new Uint8Array(REFUSE_LEN);
  out.set([VERSION, KIND_REFUSE]);
  out.set(request.subarray(2, 18), 2);
  out[18] = REASONS[reason];
  return out;
}

/** Strict: exact length, version, kind, a known reason. */
export function parseRefusal(body: Uint8Array): { protoChatId: string; reason: 'refused' | 'unsupported' } {
  if (body.length !== REFUSE_LEN || body[0] !== VERSION || body[1] !== KIND_REFUSE) throw new SecretError('malformed', 'malformed refusal');
  const reason = body[18] === REASONS.refused ? 'refused' : body[18] === REASONS.unsupported ? 'unsupported' : null;
  if (!reason) throw new SecretError('malformed', 'refusal with an unknown reason');
  return { protoChatId: toHex(body.subarray(2, 18)), reason };
}

/** The queue row that carries a refusal back to the requesting device. */
export function refusalRow(chatId: string, toDeviceId: string, body: Uint8Array) {
  return { id: crypto.randomUUID(), toDeviceId, body: toB64u(body), requestId: null, chatId, messageIds: [], createdAt: Date.now() };
}

export class Failures {
  constructor(private readonly chats: Chats) {}

  /** Ends a waiting chat as failed: its pending handshakes are wiped; the caller commits under the lock. */
  private failed(row: SecretChatRow, state: SecretState, failure: SecretFailure): { row: SecretChatRow; state: SecretState } {
    dropPendings(state);
    return { row: { ...row, status: 'failed', failure, lastAt: Date.now() }, state };
  }

  /** The device that claimed our request refused it. */
  async onRefuse(env: AddressedEnvelope, body: Uint8Array) {
    const { protoChatId, reason } = parseRefusal(body);
    const chatId = (await pendingTarget(this.chats, env, protoChatId, 'refusal')).id;
    await this.chats.locked(chatId, async () => {
      const { row, state } = await this.chats.load(chatId);
      if (row.status !== 'waiting' || !state.pendings.some((p) => p.protoChatId === protoChatId && p.deviceId === env.fromDeviceId)) return wipeState(state);
      await this.chats.commit(chatId, { ...this.failed(row, state, reason), seen: { id: env.id, seq: env.seq } });
    });
    this.chats.changed(chatId);
  }

  /**
   * The relay will never take our request for this device (it was signed out, or the peer blocked me:
   * `why` 'blocked', said when the last request goes): that handshake is over.
   */
  async requestUndeliverable(chatId: string, deviceId: string, why: 'gone' | 'blocked' = 'gone') {
    const changed = await this.chats.locked(chatId, async () => {
      const row0 = await this.chats.ctx.db.secretChats.get(chatId);
      if (!row0 || row0.status !== 'waiting') return false;
      const { row, state } = await this.chats.load(chatId);
      const gone = state.pendings.filter((p) => p.deviceId === deviceId);
      if (!gone.length) return (wipeState(state), false);
      state.pendings = state.pendings.filter((p) => p.deviceId !== deviceId);
      dropPendings({ ...state, pendings: gone });
      await this.chats.commit(chatId, state.pendings.length ? { row, state } : this.failed(row, state, why));
      return true;
    });
    if (changed) this.chats.changed(chatId);
  }

  /**
   * Asks the relay which of the peer's devices are still signed in; a waiting chat none of whose
   * requests can be taken any more fails ('gone'). Only this device's own requests (initiator) wait.
   * `only` limits it to one chat. Network failures propagate (the caller decides; nothing changes).
   */
  async checkWaiting(only?: string): Promise<void> {
    const { ctx, relay } = this.chats;
    const rows = only ? [await ctx.db.secretChats.get(only)] : await ctx.db.secretChats.toArray();
    const live = new Map<string, Set<string>>();
    for (const r of rows) {
      if (!r || r.status !== 'waiting' || r.role !== 'initiator') continue;
      if (!live.has(r.peerId)) live.set(r.peerId, new Set((await relay.devices(r.peerId)).map((d) => d.id)));
      const devices = live.get(r.peerId)!;
      const failed = await this.chats.locked(r.id, async () => {
        const row0 = await ctx.db.secretChats.get(r.id);
        if (!row0 || row0.status !== 'waiting') return false;
        const { row, state } = await this.chats.load(r.id);
        if (state.pendings.some((p) => devices.has(p.deviceId))) return (wipeState(state), false);
        await this.chats.commit(r.id, this.failed(row, state, 'gone'));
        return true;
      });
      if (failed) {
        await relay.withdraw(r.id).catch(() => undefined);
        this.chats.changed(r.id);
      }
    }
  }
}
