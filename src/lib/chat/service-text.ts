/** What a secret chat's service row says ("Bob joined your secret chat.", a timer change, a screenshot…), as its screen shows it. */
import { formatTtl } from '$lib/ui/format';
import type { SecretMessageView } from '$lib/worker/protocol';

/** `name`: the peer's display name; `initiator`: this device started the chat. */
export function serviceText(m: Pick<SecretMessageView, 'service' | 'by' | 'ttl'>, name: string, initiator: boolean): string {
  const who = m.by === 'me' ? 'You' : name;
  switch (m.service) {
    case 'established':
      return initiator ? `${name} joined your secret chat.` : `You joined ${name}'s secret chat.`;
    case 'ttl':
      return m.ttl ? `${who} set the self-destruct timer to ${formatTtl(m.ttl)}` : `${who} disabled the self-destruct timer`;
    case 'screenshot':
      return `${who} took a screenshot!`;
    case 'cancelled':
      return m.by === 'me' ? 'You cancelled the secret chat' : `${name} cancelled the secret chat`;
    case 'cleared':
      return `${who} cleared the history`;
    case 'account_deleted':
      return `${name} deleted their account. This secret chat has ended.`;
    default:
      return '';
  }
}
