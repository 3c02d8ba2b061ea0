// Thin REST helpers over fetch (browsers, Node 20+): orders and bids; answers parsed losslessly.
import { type Decimal, exact, parseMessage, stringifyMessage } from "./json.js";

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: any) {
    super(`HTTP ${status} ${body?.code ?? ""}: ${body?.message ?? JSON.stringify(body)}`);
    this.code = body?.code;
  }
  readonly code: string | undefined;
}

export async function request(
  baseUrl: string, method: string, path: string,
  { body, authorization }: { body?: unknown; authorization?: string | null } = {},
): Promise<any> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (authorization) headers.Authorization = authorization;
  const response = await fetch(baseUrl.replace(/\/$/, "") + path, {
    method, headers, body: body === undefined ? undefined : stringifyMessage(body), credentials: "same-origin",
  });
  const text = await response.text();
  let answer: any = null;
  try { answer = text ? parseMessage(text) : null; } catch { answer = text; }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

export interface OrderRequest {
  symbol: string;
  side: "buy" | "sell";
  quantity: Decimal;
  order_type?: "limit" | "market";
  price?: Decimal;
  client_order_id?: string; // 1-64 of A-Z a-z 0-9 _ -: a retry with it answers the original order
  time_in_force?: "gtc" | "ioc" | "fok";
  post_only?: boolean;
  [extra: string]: unknown; // fields newer servers take
}

/** The body of POST /v1/orders, and of the socket's place_order: decimals exact. */
export function orderBody({ quantity, price, order_type = "limit", ...rest }: OrderRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { ...rest, order_type, quantity: exact(quantity) };
  if (price !== undefined) body.price = exact(price);
  return body;
}

/** A page of a REST list: pass `next_cursor` as `cursor` for the next one; null on the last page. */
export interface Page<T = any> {
  results: T[];
  next_cursor: string | null;
}

export type Filters = Record<string, string | number | boolean>;

function withQuery(path: string, filters: Filters): string {
  const query = new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, String(v)])).toString();
  return path + (query ? `?${query}` : "");
}

export class Rest {
  constructor(readonly baseUrl: string, private readonly authorization: () => Promise<string | null>) {}

  async call(method: string, path: string, body?: unknown): Promise<any> {
    return request(this.baseUrl, method, path, { body, authorization: await this.authorization() });
  }

  me() { return this.call("GET", "/v1/accounts/me"); }

  /** 201 with a new order, 200 with the original one for a retry with its client_order_id. */
  placeOrder(order: OrderRequest) { return this.call("POST", "/v1/orders", orderBody(order)); }

  getOrder(orderId: string) { return this.call("GET", `/v1/orders/${encodeURIComponent(orderId)}`); }

  getOrderByClientId(clientOrderId: string) {
    return this.call("GET", `/v1/orders/by-client-id/${encodeURIComponent(clientOrderId)}`);
  }

  cancelOrder(orderId: string) { return this.call("DELETE", `/v1/orders/${encodeURIComponent(orderId)}`); }

  /** Cancel every open order, or one market's: `{cancelled: [order ids], count}`. */
  cancelAll(symbol?: string) {
    return this.call("DELETE", "/v1/orders" + (symbol ? `?symbol=${encodeURIComponent(symbol)}` : ""));
  }

  /** The dead-man's switch: cancel all unless called again within `timeoutS` seconds; 0 turns it off. */
  cancelAllAfter(timeoutS: number) { return this.call("POST", "/v1/orders/cancel-all-after", { timeout_s: timeoutS }); }

  /** GET /v1/orders: one page, newest first. Filters: symbol, status, side, open (true: on the book), limit, cursor. */
  listOrders(filters: Filters = {}): Promise<Page> { return this.call("GET", withQuery("/v1/orders", filters)); }

  /** GET /v1/trades: one page of the caller's fills. Filters: symbol, order_id, limit, cursor. */
  listTrades(filters: Filters = {}): Promise<Page> { return this.call("GET", withQuery("/v1/trades", filters)); }

  /** Every row of a paged list (/v1/orders, /v1/trades, /v1/settlements, /v1/deposits, /v1/withdrawals,
   * /v1/markets/{symbol}/trades), newest first, page after page. */
  async *every(path: string, filters: Filters = {}): AsyncGenerator<any> {
    let query = filters;
    while (true) {
      const page: Page = await this.call("GET", withQuery(path, query));
      yield* page.results;
      if (!page.next_cursor) return;
      query = { ...query, cursor: page.next_cursor };
    }
  }

  /** GET /v1/markets/{symbol}/orderbook (public): {symbol, bids, asks, timestamp}, levels best first. */
  orderbook(symbol: string, depth?: number) {
    return this.call("GET", withQuery(`/v1/markets/${encodeURIComponent(symbol)}/orderbook`, depth === undefined ? {} : { depth }));
  }

  /** GET /v1/markets/{symbol}/ticker (public): last price, best bid and ask, 24-hour statistics. */
  ticker(symbol: string) { return this.call("GET", `/v1/markets/${encodeURIComponent(symbol)}/ticker`); }

  placeBid(auctionId: string, { quantity, price, client_bid_id }: { quantity: Decimal; price: Decimal; client_bid_id?: string }) {
    const body: Record<string, unknown> = { quantity: exact(quantity), price: exact(price) };
    if (client_bid_id !== undefined) body.client_bid_id = client_bid_id;
    return this.call("POST", `/v1/auctions/${encodeURIComponent(auctionId)}/bids`, body);
  }

  cancelBid(bidId: string) { return this.call("DELETE", `/v1/bids/${encodeURIComponent(bidId)}`); }
}
