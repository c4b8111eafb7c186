// The live feed over WebSocket (/api/v1/live): authenticates with the first message, (re)subscribes its topics
// with the last seq seen on each (so missed notices are replayed after a gap), reconnects with backoff.

export interface LiveMessage {
  type: 'position' | 'eta' | 'notice' | 'trip' | 'violation';
  topic: string;
  seq: number;
  ts: number;
  /** the payload of `type`; each page reads the fields it shows */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

export type LiveState = 'connecting' | 'live' | 'offline' | 'denied';

export interface LiveOptions {
  token: string;
  onMessage: (m: LiveMessage) => void;
  onState?: (s: LiveState) => void;
  /** a topic refused (403/404) */
  onTopicError?: (topic: string, status: number, message: string) => void;
}

/** Requests awaiting an answer at most (the server closes a session with more than 32). */
const MAX_REQUESTS_IN_FLIGHT = 16;

export class LiveFeed {
  private ws?: WebSocket;
  private readonly topics = new Map<string, number | undefined>();
  private retryMs = 1000;
  private timer?: ReturnType<typeof setTimeout>;
  private closed = false;
  /** Topics this session follows: the first `maxTopics` subscribed (the server's limit, told on authentication). */
  private readonly following = new Set<string>();
  private maxTopics = Number.POSITIVE_INFINITY;
  /** Subscribe and unsubscribe requests sent and not answered yet (the server takes a bounded number at a time). */
  private inFlight = 0;
  state: LiveState = 'connecting';

  constructor(private readonly opts: LiveOptions) {
    this.connect();
    window.addEventListener('online', () => this.reconnectSoon(100));
  }

  /** Follows a topic. Past the session's limit, topics wait in the order subscribed until one is unsubscribed. */
  subscribe(topic: string) {
    if (this.topics.has(topic)) return;
    this.topics.set(topic, undefined);
    if (this.state === 'live') this.follow();
  }

  unsubscribe(topic: string) {
    if (!this.topics.delete(topic)) return;
    if (this.state === 'live' && this.following.delete(topic)) {
      this.inFlight++;
      this.send({ type: 'unsubscribe', topic });
      this.follow();
    }
  }

  /**
   * Sends the subscriptions that fit the session's limit, in the order the topics were subscribed, a few at a time:
   * each answer (subscribed, or an error) lets the next one go (a dashboard follows hundreds of topics).
   */
  private follow() {
    if (this.state !== 'live') return;
    for (const [topic, lastSeq] of this.topics) {
      if (this.following.size >= this.maxTopics || this.inFlight >= MAX_REQUESTS_IN_FLIGHT) return;
      if (this.following.has(topic)) continue;
      this.following.add(topic);
      this.inFlight++;
      this.send(lastSeq === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, lastSeq });
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }

  private setState(s: LiveState) {
    if (this.state === s) return;
    this.state = s;
    this.opts.onState?.(s);
  }

  private send(obj: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  private connect() {
    if (this.closed) return;
    this.setState(this.state === 'live' ? 'connecting' : this.state);
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.opts.token }));
    ws.onmessage = (ev) => {
      /** a control message (authenticated, error, subscribed…) or a topic message */
      let m: { type?: string; status?: number; message?: string; topic?: string; seq?: number };
      try {
        m = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (m.type === 'authenticated') {
        this.retryMs = 1000;
        const most = (m as { maxTopics?: unknown }).maxTopics;
        this.maxTopics = typeof most === 'number' && most > 0 ? most : Number.POSITIVE_INFINITY;
        this.following.clear(); // a new connection follows nothing yet
        this.inFlight = 0;
        this.setState('live');
        this.follow();
        return;
      }
      if ((m.type === 'subscribed' || m.type === 'unsubscribed' || m.type === 'error') && this.inFlight > 0) {
        this.inFlight--;
        queueMicrotask(() => this.follow());
      }
      if (m.type === 'error') {
        if (m.status === 401) this.setState('denied');
        else if (m.topic) this.opts.onTopicError?.(m.topic, m.status ?? 0, m.message ?? '');
        return;
      }
      if (typeof m.topic === 'string' && typeof m.seq === 'number') {
        if (!this.topics.has(m.topic)) return;
        const last = this.topics.get(m.topic);
        if (last === undefined || m.seq > last) this.topics.set(m.topic, m.seq);
        this.opts.onMessage(m as LiveMessage);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      if (ev.code === 4401) return this.setState('denied');
      if (this.state !== 'denied') this.setState('offline');
      this.reconnectSoon(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 15_000);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private reconnectSoon(ms: number) {
    if (this.closed || this.state === 'denied') return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.ws && this.ws.readyState <= WebSocket.OPEN && this.state === 'live') return;
      this.ws?.close();
      this.connect();
    }, ms);
  }
}
