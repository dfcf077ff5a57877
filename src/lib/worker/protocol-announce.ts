/**
 * Telling the relay which secret-chat protocol this device speaks (2: sealed addressing): once, and
 * again every PROTOCOL_EPOCHS epochs (the relay may have lost it); recorded only once it answered.
 * Apart from the secret-chat engine, so a device without secret chats (every new account) tells it
 * when it connects without downloading and compiling the crypto code.
 */
import { epochOf } from '$lib/crypto/epoch';
import type { CinderDB } from '$lib/store/db';
import { request } from './net';
import type { SecretEngine } from './secret';

export const PROTOCOL_EPOCHS = 7;
export const PROTOCOL_VERSION = 2;

export async function announceProtocol(db: CinderDB, tell: (protocol: typeof PROTOCOL_VERSION) => Promise<void>, now = Date.now()): Promise<void> {
  const told = (await db.meta.get('protocol'))?.value as { v: number; epoch: number } | undefined;
  if (told?.v === PROTOCOL_VERSION && epochOf(now) - told.epoch < PROTOCOL_EPOCHS && told.epoch <= epochOf(now)) return;
  await tell(PROTOCOL_VERSION);
  await db.meta.put({ key: 'protocol', value: { v: PROTOCOL_VERSION, epoch: epochOf(now) } });
}

/**
 * At each connect: protocol 2 told once, mailboxes of version-2 chats registered again by the engine;
 * a device without secret chats tells the protocol without loading the secret-chat code.
 */
export async function keepAddressing(db: CinderDB, engine: () => Promise<SecretEngine>, tell = tellRelay): Promise<void> {
  if ((await db.mailboxes.count()) > 0 || ((await db.meta.get('protocol')) === undefined && (await db.secretChats.count()) > 0)) await (await engine()).maintain();
  else await announceProtocol(db, tell);
}

const tellRelay = (protocol: typeof PROTOCOL_VERSION) => request('POST', '/api/devices/protocol', { protocol }, null).then(() => undefined);
