/** A stand-in for the tabs' BroadcastChannel: what this tab posts, and another tab's message delivered. */
export function fakeChannel() {
  const posted: unknown[] = [];
  let listener: (ev: MessageEvent) => void = () => {};
  const channel = {
    postMessage: (m: unknown) => void posted.push(m),
    addEventListener: (_type: string, l: typeof listener) => (listener = l)
  } as unknown as BroadcastChannel;
  /** Delivers `data` as another tab's message. */
  const hear = (data: unknown) => listener({ data } as MessageEvent);
  return { channel, posted, hear };
}
