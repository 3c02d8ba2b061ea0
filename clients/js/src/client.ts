// The streaming client: one WebSocket that authenticates, keeps its subscriptions and loses no event.
//
// Per stream (a channel of one account, one symbol of market data, a broadcast channel) it keeps the last
// sequence delivered. After any break it reconnects with exponential backoff and jitter, authenticates with a
// fresh token and subscribes again with `since` on durable streams: the server replays what was missed, the
// client drops what it delivered already, and a gap in the numbers is treated as a broken connection.
import { Auth, AuthError, type Credentials } from "./auth.js";
import type { Notice, StreamEvent } from "./events.js";
import { parseMessage, stringifyMessage } from "./json.js";
import { orderBody, Rest, type OrderRequest } from "./rest.js";

/** Streams the server can replay from its event log (`since`); the others are latest-state. */
const DURABLE = new Set(["orders", "trades", "settlements", "account_notifications", "compliance_events", "system_health"]);
/** Durable channels that send their current state on subscribe (a lost position heals by itself). */
const WITH_SNAPSHOT = new Set(["system_health"]);
const ACCOUNT_CHANNELS = new Set(["orders", "trades", "settlements", "account_notifications"]);
/** The user was disabled or the API key revoked: reconnecting cannot help. */
const FINAL_CLOSE_CODES = new Set([4003]);
/** The close code this client uses when it drops a connection itself (a gap, a silent server). */
const DROPPED = 4000;
/** Channels of one auction, subscribed with `auction_id`. */
const AUCTION_CHANNELS = new Set(["auction", "bids", "settlement"]);

interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}
type SocketConstructor = new (url: string) => SocketLike;

export interface ClientOptions {
  /** The gateway's HTTP address, e.g. "http://127.0.0.1:8000"; in a browser, default: this page's origin. */
  baseUrl?: string;
  /** Default: the base URL's /v1/ws with ws(s). */
  wsUrl?: string;
  credentials: Credentials;
  onEvent?: (event: StreamEvent) => void;
  onNotice?: (notice: Notice) => void;
  /** The WebSocket class; default: the global one (browsers, Node 22+), else the `ws` package. */
  WebSocket?: SocketConstructor;
  heartbeatMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface SubscribeOptions {
  /** Account channels: whose account (default: your own). */
  accountId?: string;
  /** market_data: the symbols to follow, and how they are coalesced (`raw`, `100ms`, `1s`). */
  symbols?: string[];
  aggregation?: string;
  /** auction, bids, settlement: the auction to follow. */
  auctionId?: string;
}

/** The server's error reply to a `request()`: its `code`, `message` and `details`. */
export class RequestError extends Error {
  constructor(readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

interface Stream {
  channel: string;
  key: string | null; // account_id (null: the caller's own), symbol, auction_id, or null on broadcast channels
  aggregation?: string;
  last: number | null; // the last sequence delivered to the application
  wasLive: boolean; // subscribed on an earlier connection
}

export class CantonDexClient {
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly auth: Auth;
  readonly rest: Rest;
  accountId: string | null = null;
  /** Connections authenticated so far (1 + reconnects). */
  connections = 0;
  private streams: Stream[] = [];
  private socket: SocketLike | null = null;
  private authenticated = false;
  private attempt = 0;
  private lastHeard = 0;
  private closed = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private correlation = 0;
  private pending = new Map<string, { resolve: (reply: any) => void; reject: (error: Error) => void }>();

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = (options.baseUrl ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    this.wsUrl = options.wsUrl ?? this.baseUrl.replace(/^http/, "ws") + "/v1/ws";
    this.auth = new Auth(this.baseUrl, options.credentials);
    this.rest = new Rest(this.baseUrl, () => this.auth.authorization());
  }

  /** Log in if needed, then connect (and keep reconnecting until `close()`). */
  async start(): Promise<void> {
    await this.auth.fresh();
    await this.open();
  }

  close(): void {
    this.closed = true;
    this.stopTimers();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    this.socket?.close(1000, "client closed");
    this.socket = null;
  }

  /** Follow a channel; kept across reconnects. */
  subscribe(channel: string, { accountId, symbols, aggregation, auctionId }: SubscribeOptions = {}): void {
    const added: Stream[] = symbols
      ? symbols.map((symbol) => ({ channel, key: symbol, aggregation, last: null, wasLive: false }))
      : [{ channel, key: auctionId ?? accountId ?? null, last: null, wasLive: false }];
    this.streams.push(...added);
    if (this.authenticated) this.send({ type: "subscribe", channels: subscribeItems(added) });
  }

  unsubscribe(channel: string, { accountId, symbols, auctionId }: SubscribeOptions = {}): void {
    const keys = new Set<string | null>(symbols ?? [auctionId ?? accountId ?? null]);
    this.streams = this.streams.filter((s) => !(s.channel === channel && keys.has(s.key)));
    if (!this.authenticated) return;
    const message: Record<string, unknown> = { type: "unsubscribe", channel };
    if (symbols) message.symbols = symbols;
    else if (auctionId) message.auction_id = auctionId;
    else if (accountId) message.account_id = accountId;
    this.send(message);
  }

  /**
   * Send a client message (e.g. `{type: "submit_bid", auction_id, payload}`) on the open connection and resolve
   * with the server's direct reply, matched by `correlation_id`; an `error` reply rejects with a `RequestError`.
   * Not retried: a connection lost before the reply rejects (the message may or may not have been applied).
   */
  request(message: Record<string, unknown>): Promise<any> {
    if (!this.authenticated) return Promise.reject(new Error("not connected"));
    const correlationId = `request-${++this.correlation}`;
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.send({ ...message, correlation_id: correlationId });
    });
  }

  /** place_order on the socket: resolves with `order_accepted` (`order`, `created`) or `order_rejected` (`code`). */
  placeOrder(order: OrderRequest): Promise<any> {
    return this.request({ type: "place_order", ...orderBody(order) });
  }

  // The connection

  private async open(): Promise<void> {
    const Socket = this.options.WebSocket ?? (globalThis.WebSocket as unknown as SocketConstructor | undefined)
      ?? ((await import("ws")).default as unknown as SocketConstructor);
    if (this.closed) return;
    const socket = (this.socket = new Socket(this.wsUrl));
    this.authenticated = false;
    socket.onopen = () => {
      const message = this.auth.wsAuth();
      if (message === null) this.onAuthenticated(null); // the session cookie authenticated the socket
      else socket.send(stringifyMessage(message));
    };
    socket.onmessage = (frame) => {
      this.lastHeard = Date.now();
      this.receive(parseMessage(String(frame.data)));
    };
    socket.onerror = () => {}; // a failed connect or a broken socket: onclose follows
    socket.onclose = (event) => this.lost(event.code ?? null, event.reason || "closed");
  }

  /** Drop this connection now (a gap, a silent server): no waiting for a close handshake. */
  private drop(reason: string): void {
    const socket = this.socket;
    if (socket === null) return;
    socket.onclose = socket.onmessage = null;
    try { socket.close(DROPPED, reason.slice(0, 100)); } catch { /* already closing */ }
    this.lost(DROPPED, reason);
  }

  private lost(code: number | null, reason: string): void {
    this.socket = null;
    this.authenticated = false;
    this.stopTimers();
    this.pending.forEach(({ reject }) => reject(new Error(`connection lost before the reply: ${reason}`)));
    this.pending.clear();
    if (this.closed) return;
    if (code !== null && FINAL_CLOSE_CODES.has(code)) return this.stop(`the server closed the connection for good (${code}: ${reason})`);
    const delay = Math.min(this.options.backoffMaxMs ?? 30_000, (this.options.backoffInitialMs ?? 500) * 2 ** this.attempt++)
      * (0.5 + Math.random() / 2);
    this.notice({ kind: "disconnected", code, reason, retryInMs: delay });
    this.later(delay, async () => {
      try {
        await this.auth.fresh();
        await this.open();
      } catch (error) {
        if (error instanceof AuthError) return this.stop(error.message);
        this.lost(null, String(error));
      }
    });
  }

  private stop(reason: string): void {
    this.closed = true;
    this.notice({ kind: "disconnected", code: null, reason, retryInMs: null });
  }

  private onAuthenticated(accountId: string | null): void {
    this.authenticated = true;
    this.accountId = accountId;
    this.attempt = 0;
    this.connections += 1;
    this.lastHeard = Date.now();
    for (const stream of this.streams) {
      if (stream.wasLive && DURABLE.has(stream.channel) && stream.last === null && !WITH_SNAPSHOT.has(stream.channel)) {
        this.notice({ kind: "resync", channel: stream.channel, key: stream.key, reason: "position_unknown", sequence: null, hint: null });
      }
    }
    if (this.streams.length) this.send({ type: "subscribe", channels: subscribeItems(this.streams) });
    this.notice({ kind: "connected", reconnect: this.connections > 1, accountId });
    const heartbeatMs = this.options.heartbeatMs ?? 15_000;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > 2 * heartbeatMs) this.drop("no message from the server for two heartbeat intervals");
      else this.send({ type: "ping" });
    }, heartbeatMs);
    this.scheduleRefresh();
  }

  /** Before the access token expires: refresh it over REST and re-authenticate the open socket. */
  private scheduleRefresh(): void {
    const dueInMs = this.auth.refreshDueInMs();
    if (dueInMs === null) return;
    this.later(Math.max(dueInMs, 0), async () => {
      try {
        await this.auth.fresh();
      } catch (error) {
        if (error instanceof AuthError) return this.stop(error.message);
        return this.later(1000, () => this.scheduleRefresh()); // the server is in trouble for a moment: try again
      }
      if (!this.authenticated) return; // the next connection authenticates with the new token
      this.send({ ...this.auth.wsAuth(), correlation_id: `reauth-${++this.correlation}` });
      this.scheduleRefresh();
    });
  }

  private later(ms: number, job: () => unknown): void {
    const timer = setTimeout(() => { this.timers.delete(timer); job(); }, ms);
    this.timers.add(timer);
  }

  private stopTimers(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === 1) this.socket.send(stringifyMessage(message));
  }

  // Messages

  private receive(message: any): void {
    const request = this.pending.get(message.correlation_id);
    if (request !== undefined) {
      this.pending.delete(message.correlation_id);
      if (message.type === "error") request.reject(new RequestError(message.code, message.message, message.details ?? {}));
      else request.resolve(message);
      return;
    }
    switch (message.type) {
      case "ping": return this.send({ type: "pong" });
      case "pong": case "unsubscribe_response": return;
      case "auth_response":
        if (message.status === "authenticated") {
          if (!this.authenticated) this.onAuthenticated(message.account_id ?? null);
        } else if (!this.authenticated) {
          try { this.auth.invalidate(); } catch (error) { this.stop(String((error as Error).message)); }
          this.drop(`authentication refused: ${message.error_code}`);
        } // a refused re-auth: the old token stands until it expires
        return;
      case "subscription_response": return this.subscribed(message);
      case "error":
        return this.notice({ kind: "error", code: message.code, message: message.message, details: message.details ?? {}, correlationId: message.correlation_id });
    }
    if ("channel" in message && "sequence" in message) this.deliver(message);
    else this.options.onEvent?.(message);
  }

  private subscribed(message: any): void {
    const keys = message.symbols ?? [message.auction_id ?? message.account_id ?? null];
    for (const stream of this.streamsOf(message.channel, keys)) {
      stream.wasLive = true;
      if (!DURABLE.has(stream.channel)) stream.last = null; // a latest-state stream counts afresh from its snapshot
      if (message.recovered === false) {
        stream.last = message.sequence ?? null;
        if (!WITH_SNAPSHOT.has(stream.channel)) { // a snapshot channel sends its current state next
          this.notice({ kind: "resync", channel: stream.channel, key: stream.key, reason: message.reason ?? "", sequence: stream.last, hint: message.resync ?? null });
        }
      }
      this.notice({ kind: "subscribed", channel: stream.channel, key: stream.key, recovered: message.recovered ?? null, replayed: message.replayed ?? 0 });
    }
  }

  private deliver(message: any): void {
    const key = message.account_id ?? message.symbol ?? message.payload?.auction_id ?? null;
    const streams = this.streamsOf(message.channel, [key]);
    const stream = streams.length === 1 ? streams[0] : null;
    if (stream !== null && !message.snapshot && stream.last !== null) {
      if (message.sequence <= stream.last) return; // delivered already (a replay overlapping the live stream)
      if (message.sequence !== stream.last + 1) return this.drop(`gap on ${stream.channel}: ${stream.last} then ${message.sequence}`);
    }
    if (stream !== null) stream.last = message.sequence;
    this.options.onEvent?.(message as StreamEvent);
  }

  /** The streams a message is about: the channel's only stream, or those whose key it names. */
  private streamsOf(channel: string, keys: (string | null)[]): Stream[] {
    const onChannel = this.streams.filter((s) => s.channel === channel);
    return onChannel.length <= 1 ? onChannel : onChannel.filter((s) => keys.includes(s.key));
  }

  private notice(notice: Notice): void {
    this.options.onNotice?.(notice);
  }
}

/** One batch item per stream, market data grouped per aggregation; `since` where the server can replay. */
function subscribeItems(streams: Stream[]): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  const market = new Map<string | undefined, string[]>();
  for (const stream of streams) {
    if (stream.channel === "market_data") {
      market.set(stream.aggregation, [...(market.get(stream.aggregation) ?? []), stream.key ?? ""]);
      continue;
    }
    const item: Record<string, unknown> = { channel: stream.channel };
    if (stream.key !== null && ACCOUNT_CHANNELS.has(stream.channel)) item.account_id = stream.key;
    if (stream.key !== null && AUCTION_CHANNELS.has(stream.channel)) item.auction_id = stream.key;
    if (DURABLE.has(stream.channel) && stream.last !== null) item.since = stream.last;
    items.push(item);
  }
  for (const [aggregation, symbols] of market) {
    items.push(aggregation ? { channel: "market_data", symbols, aggregation } : { channel: "market_data", symbols });
  }
  return items;
}
