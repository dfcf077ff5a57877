/**
 * The worker's WebSocket to the relay: reconnects with jittered exponential backoff, and
 * immediately when the browser says it is back online. Frames are validated before use.
 */
import { ServerFrame, type ClientFrame } from '$lib/api/wire';

export interface SocketHandlers {
  onFrame(frame: ServerFrame): void;
  onOpen(): void;
  onClose(): void;
}

const BASE_DELAY = 500;
const MAX_DELAY = 30000;
const PING_EVERY = 25000;

export class RelaySocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private stopped = true;

  constructor(
    private readonly url: string,
    private readonly handlers: SocketHandlers
  ) {}

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.teardown();
  }

  /** Reconnect now (the browser reported connectivity), skipping the backoff wait. */
  kick(): void {
    if (this.stopped || this.open) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    this.connect();
  }

  send(frame: ClientFrame): boolean {
    if (!this.open) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  private connect(): void {
    this.teardown();
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.pinger = setInterval(() => this.send({ t: 'ping' }), PING_EVERY);
      this.handlers.onOpen();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        return;
      }
      const frame = ServerFrame.safeParse(json);
      if (frame.success) this.handlers.onFrame(frame.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.teardown();
      this.handlers.onClose();
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt++);
    // "Full jitter": spreads reconnects of many clients after a relay restart.
    const delay = cap / 2 + Math.random() * (cap / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private teardown(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    }
  }
}
