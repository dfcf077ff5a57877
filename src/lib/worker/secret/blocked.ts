/**
 * What a secret chat keeps of what a blocked peer sends (docs/threat-model.md "Blocking"). The relay
 * refuses a blocked user's new secret-chat requests, but it cannot refuse their messages in a chat that
 * already exists: after the handshake they are sealed, posted without the sender's session, so the
 * relay cannot tell who sent them. The blocker's device decides instead (batch.ts).
 *
 * Every envelope is still decrypted and its frame ordered, so the ratchet stays in step (what comes
 * after an unblock opens), and it is acknowledged to the relay like any other. What it would show is
 * dropped: no message row (text, file, voice, nor the placeholder of a newer version's message), no
 * edit, reaction, pin, timer change or screenshot notice, no typing. With nothing stored there is no
 * notification and nothing to read, so no read report goes back. What only takes away still applies
 * (the peer's deletes, a cleared history, the chat's cancellation, reads of my older messages,
 * verification), and the ratchet's own cumulative ACK still goes back: it carries no content and
 * shows nothing on the peer's screen.
 */
import { isBlocked } from '../blocks';
import type { Chats } from './chats';
import type { SecretPayload } from './payload';

const DROPPED: ReadonlySet<SecretPayload['k']> = new Set(['text', 'typing', 'edit', 'react', 'pin', 'ttl', 'screenshot']);

/** A payload from a blocked peer that changes nothing here. */
export const droppedFromBlocked = (p: SecretPayload): boolean => DROPPED.has(p.k);

/** Whether this device's user blocked `peerId` (the block list the device holds: ../blocks.ts). */
export const peerBlocked = (chats: Chats, peerId: string): Promise<boolean> => isBlocked(chats.ctx.db, peerId);
