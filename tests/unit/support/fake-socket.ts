/** A WebSocket the test drives: it records what was sent and opens, answers or dies on command. */
export class FakeSocket {
  /** The socket made last (the one a core opened). */
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: { t: string; n?: number }[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url = '') {
    FakeSocket.last = this;
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  fail() {
    this.readyState = 3;
    this.onclose?.({});
  }
}
