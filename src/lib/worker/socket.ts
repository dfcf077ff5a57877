/**
 * The worker's WebSocket to the relay: reconnects with jittered exponential backoff, and
 * immediately when the browser says it is back online. Frames are validated before use.
 *
 * A heartbeat finds a dead socket: an open socket can outlive the network (the browser offline, a
 * laptop's Wi-Fi gone) without ever closing. Every `pingEvery` an app-level ping goes out and some
 * frame must come back within `pongTimeout`, else the socket is declared dead, closed and replaced.
 * `check` asks the same at once with a short deadline (the browser just reported going offline).
 */
import { ServerFrame, type ClientFrame } from '$lib/api/wire';

export interface SocketHandlers {
  onFrame(frame: ServerFrame): void;
  onOpen(): void;
  /** `dead`: the heartbeat found the socket silent (no network); `closed`: it closed or failed to open. */
  onClose(reason: 'closed' | 'dead'): void;
}

export interface SocketOptions {
  pingEvery?: number;
  pongTimeout?: number;
  /** For tests: how a socket is made. */
  create?: (url: string) => WebSocket;
}

const BASE_DELAY = 500;
const MAX_DELAY = 30000;
/** While messages wait to be sent the reconnect backoff stays this short, so they go out within ~1 s of the relay answering again. */
const URGENT_MAX_DELAY = 1000;
const PING_EVERY = 10000;
const PONG_TIMEOUT = 5000;

const OPEN = 1;
const CONNECTING = 0;

export class RelaySocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  /** The deadline of the ping in flight, if any. */
  private deadline: ReturnType<typeof setTimeout> | null = null;
  private pingN = 0;
  private stopped = true;
  /** Messages are queued: reconnect attempts stay frequent (see URGENT_MAX_DELAY). */
  urgent = false;
  private readonly pingEvery: number;
  private readonly pongTimeout: number;
  private readonly create: (url: string) => WebSocket;

  constructor(
    private readonly url: string,
    private readonly handlers: SocketHandlers,
    options: SocketOptions = {}
  ) {
    this.pingEvery = options.pingEvery ?? PING_EVERY;
    this.pongTimeout = options.pongTimeout ?? PONG_TIMEOUT;
    this.create = options.create ?? ((u) => new WebSocket(u));
  }

  get open(): boolean {
    return this.ws?.readyState === OPEN;
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

  /**
   * Is the open socket still alive? A ping must be answered within `timeout` ms, else the socket is
   * declared dead. A ping already in flight keeps its deadline if that is sooner.
   */
  check(timeout = this.pongTimeout): void {
    if (!this.open) return;
    if (this.deadline) {
      if (timeout >= this.pongTimeout) return;
      clearTimeout(this.deadline);
    }
    const ws = this.ws!;
    this.deadline = setTimeout(() => {
      this.deadline = null;
      if (this.ws === ws) this.die();
    }, timeout);
    this.send({ t: 'ping', n: ++this.pingN });
  }

  send(frame: ClientFrame): boolean {
    if (!this.open) return false;
    try {
      this.ws!.send(JSON.stringify(frame));
    } catch {
      return false;
    }
    return true;
  }

  private connect(): void {
    this.teardown();
    let ws: WebSocket;
    try {
      ws = this.create(this.url);
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.pinger = setInterval(() => this.check(), this.pingEvery);
      this.handlers.onOpen();
    };
    ws.onmessage = (ev) => {
      // Anything from the relay proves the socket alive.
      if (this.deadline) clearTimeout(this.deadline);
      this.deadline = null;
      if (typeof ev.data !== 'string') return;
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        return;
      }
      const frame = ServerFrame.safeParse(json);
      if (frame.success && frame.data.t !== 'pong') this.handlers.onFrame(frame.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.teardown();
      this.handlers.onClose('closed');
      this.schedule();
    };
  }

  /** The heartbeat found no answer: this socket is given up and a new one tried. */
  private die(): void {
    this.teardown();
    this.handlers.onClose('dead');
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const cap = Math.min(this.urgent ? URGENT_MAX_DELAY : MAX_DELAY, BASE_DELAY * 2 ** this.attempt++);
    // "Full jitter": spreads reconnects of many clients after a relay restart.
    const delay = cap / 2 + Math.random() * (cap / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  /** Messages were queued while a long backoff wait runs: shorten it. */
  hurry(): void {
    if (!this.timer || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.attempt = Math.min(this.attempt, 1);
    this.schedule();
  }

  private teardown(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === OPEN || ws.readyState === CONNECTING) ws.close();
    }
  }
}
