/**
 * Sealed addressing (protocol 2) on the sending side: a version-2 chat's envelopes go to the peer's
 * mailbox of the current epoch, their ratchet header encrypted under that epoch's header key, posted
 * anonymously with the capability MAC. Keys are derived from the session's send seed when needed and
 * wiped after use; nothing derived is stored except the mailbox id and MAC a queued post carries.
 */
import { fromB64u, toB64u } from '$lib/api/b64';
import { blobToken, capMac, equalBytes, epochOf, headerKey, mailboxKeys, sealEnvelope, unsealEnvelope, zeroize, type Session } from '$lib/crypto';
import type { SendQueueRow } from '$lib/store/db';

/** One epoch's keys of a send or receive seed. */
export interface EpochKeys {
  epoch: number;
  mailbox: Uint8Array;
  cap: Uint8Array;
  header: Uint8Array;
}

export const wipeKeys = (k: EpochKeys | null) => void (k && zeroize(k.mailbox, k.cap, k.header));

function keysOf(seed: Uint8Array, epoch: number): EpochKeys {
  return { epoch, ...mailboxKeys(seed, epoch) };
}

/** The peer's mailbox keys at `now` for a version-2 session; null for version 1 (readable addressing). */
export function sendKeys(session: Session, now = Date.now()): EpochKeys | null {
  return session.seal ? keysOf(session.seal.send, epochOf(now)) : null;
}

/** This device's receive mailbox keys of a version-2 session at `epoch`; null for version 1. */
export function recvKeys(session: Session, epoch: number): EpochKeys | null {
  return session.seal ? keysOf(session.seal.recv, epoch) : null;
}

/**
 * The receive header keys a batch of one chat's sealed envelopes unseals with: derived once per epoch
 * (a backlog's envelopes share one or two), not once per envelope. wipe() when the batch is done.
 */
export class RecvHeaderKeys {
  private seed: Uint8Array | null = null;
  private readonly keys = new Map<number, Uint8Array>();

  /** The header key of `session`'s receive seed at `epoch`; null for a version-1 session. */
  get(session: Session, epoch: number): Uint8Array | null {
    if (!session.seal) return null;
    // A new seed (another session) makes every key held stale.
    if (!this.seed || !equalBytes(this.seed, session.seal.recv)) {
      this.wipe();
      this.seed = session.seal.recv.slice();
    }
    let key = this.keys.get(epoch);
    if (!key) this.keys.set(epoch, (key = headerKey(session.seal.recv, epoch)));
    return key;
  }

  wipe(): void {
    for (const key of this.keys.values()) zeroize(key);
    this.keys.clear();
    if (this.seed) zeroize(this.seed);
    this.seed = null;
  }
}

/** Seals a queued ratchet envelope for the peer's mailbox (the row's id is the post's id, covered by the MAC). */
export function sealRow(row: SendQueueRow, envelope: Uint8Array, keys: EpochKeys): SendQueueRow {
  const sealed = sealEnvelope(envelope, keys.header);
  return { ...row, body: toB64u(sealed), mailbox: toB64u(keys.mailbox), mac: toB64u(capMac(keys.cap, row.id, sealed)), epoch: keys.epoch };
}

/** A queued post whose mailbox has expired meanwhile, sealed again for the current epoch's (same id, same ratchet envelope). */
export function resealRow(row: SendQueueRow, old: EpochKeys, fresh: EpochKeys): SendQueueRow {
  const inner = unsealEnvelope(fromB64u(row.body), old.header);
  return sealRow(row, inner, fresh);
}

/** The headers value of an anonymous blob upload for the peer's mailbox. */
export function blobAuth(keys: EpochKeys): { mailbox: string; token: string } {
  return { mailbox: toB64u(keys.mailbox), token: toB64u(blobToken(keys.cap)) };
}
