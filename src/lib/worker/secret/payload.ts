/**
 * What travels inside a secret chat's encrypted frames (application type 0x10, JSON). The relay
 * sees none of it: a message, a read receipt, a delete order and a timer change are all padded
 * ciphertext of the same shape. Everything here comes from the peer, so it is validated strictly.
 */
import { z } from '$lib/api/zod';
import { VoiceMeta } from '$lib/api/voice';
import { LIMITS, Reaction, TimerSeconds } from '$lib/api/wire';
import type { Reaction as ReactionEmoji } from '$lib/api/limits';
import { toPlainLine } from '$lib/api/wire-base';
import { ReplyQuote } from '$lib/api/quote';

export const APP_JSON = 0x10;

export const Uuid = z.string().check(z.uuid());
const Ids = z.array(Uuid).check(z.minLength(1), z.maxLength(500));

const Ttl = TimerSeconds;

export const FileRef = z.object({
  blobId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  /** AES-256-GCM key of the blob, base64url. */
  key: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  // Shown and saved under this name: bidi overrides ("invoice\u202Etxt.exe" shows as "invoiceexe.txt") and controls go.
  name: z.pipe(z.string().check(z.maxLength(255)), z.transform(toPlainLine)),
  mime: z.string().check(z.maxLength(127)),
  size: z.number().check(z.int(), z.nonnegative()),
  /** A photo's or video's size in pixels (optional: older apps send none), so the peer reserves its box before it loads. */
  w: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(16384))),
  h: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(16384))),
  /** A voice message's duration and waveform (optional: older clients send plain files). */
  voice: z.optional(VoiceMeta),
  /** 1: the blob is padded to a size bucket (media-padding.ts); absent in blobs of older apps, which are not. */
  pad: z.optional(z.literal(1))
});
export type FileRef = z.infer<typeof FileRef>;

export const SecretPayload = z.discriminatedUnion('k', [
  z.object({
    k: z.literal('text'),
    id: Uuid,
    text: z.string().check(z.maxLength(LIMITS.textMax)),
    replyTo: z.nullable(Uuid),
    /** What the reply shows of `replyTo` (inside the encryption like everything here); only with replyTo. */
    quote: z.optional(ReplyQuote),
    ttl: Ttl,
    at: z.number(),
    file: z.optional(z.nullable(FileRef))
  }),
  z.object({ k: z.literal('read'), ids: Ids, at: z.number() }),
  z.object({ k: z.literal('typing') }),
  z.object({ k: z.literal('delete'), ids: Ids }),
  z.object({ k: z.literal('clear') }),
  z.object({ k: z.literal('cancel') }),
  z.object({ k: z.literal('ttl'), id: Uuid, seconds: Ttl, at: z.number() }),
  z.object({ k: z.literal('screenshot'), id: Uuid, at: z.number() }),
  z.object({ k: z.literal('verified'), on: z.boolean() }),
  // `msg`, not `id`: a control older apps must ignore carries no `id` (unsupported.ts, protocol.md §9.3).
  // `text` may be empty: a file's caption removed (edit.ts refuses it for a text).
  z.object({ k: z.literal('edit'), msg: Uuid, text: z.string().check(z.maxLength(LIMITS.textMax)), at: z.number() }),
  // My reaction to message `msg` ('' removes it); no `id` either, like `edit`.
  z.object({ k: z.literal('react'), msg: Uuid, emoji: z.union([Reaction, z.literal('')]), at: z.number() }),
  // Message `msg` pinned for both sides, or unpinned (pin.ts: the newest `at` wins); no `id` either.
  z.object({ k: z.literal('pin'), msg: Uuid, pinned: z.boolean(), at: z.number() })
]);
export type SecretPayload = z.infer<typeof SecretPayload>;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const encodePayload = (p: SecretPayload): Uint8Array => enc.encode(JSON.stringify(p));

/** Returns null for anything that is not a valid payload (the caller counts it as rejected). */
export function decodePayload(bytes: Uint8Array): SecretPayload | null {
  try {
    const parsed = SecretPayload.safeParse(JSON.parse(dec.decode(bytes)));
    if (!parsed.success) return null;
    // A quote without the message it quotes is malformed (a discriminated union's member cannot refine).
    if (parsed.data.k === 'text' && parsed.data.quote && !parsed.data.replyTo) return null;
    return parsed.data;
  } catch {
    return null;
  }
}

/** What the device stores (sealed) for one secret-chat message. */
export interface SecretBody {
  /** 'unsupported': a message of a newer Cinder this version cannot show (unsupported.ts); shown as a placeholder. */
  kind: 'text' | 'service' | 'unsupported';
  text: string;
  replyTo: string | null;
  /** What the reply shows of `replyTo`, `from` seen by the reply's author (absent: none, or stored before quotes). */
  quote?: ReplyQuote;
  /** Seconds; 0 = no timer. */
  ttl: number;
  file?: FileRef | null;
  /** Service messages: what happened, for rendering. */
  service?: 'established' | 'ttl' | 'screenshot' | 'cancelled' | 'cleared' | 'account_deleted';
  /** Who caused a service event. */
  by?: 'me' | 'peer';
  /** An unsupported message's payload as it came (JSON text, at most RAW_MAX bytes), for a later version to show. */
  raw?: string;
  /** Edited: the newest edit's time (the editor's clock); an edit older than this one is ignored (edit.ts). */
  edited?: number;
  /** Each side's reaction (one emoji, '' once removed) and its time (the reactor's clock); the newer wins (react.ts). */
  reactions?: { mine?: { e: ReactionEmoji | ''; at: number }; peer?: { e: ReactionEmoji | ''; at: number } };
  /** Pinned in the chat (`on`) or unpinned, and when (either side's clock); the newest wins (pin.ts). Absent: never pinned. */
  pin?: { on: boolean; at: number };
}
