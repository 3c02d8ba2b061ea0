// The client's stream bookkeeping against a scripted server (a fake WebSocket): duplicates dropped, a gap
// reconnects with `since`, `recovered: false` asks the application to resync, 4003 stops for good.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CantonDexClient } from "../dist/index.js";

class FakeSocket {
  static opened = [];
  static waiting = [];

  constructor(url) {
    Object.assign(this, { url, readyState: 0, sent: [], onopen: null, onmessage: null, onclose: null, onerror: null });
    FakeSocket.opened.push(this);
    FakeSocket.waiting.splice(0).forEach((resolve) => resolve());
  }

  static async nth(index) {
    while (FakeSocket.opened.length <= index) await new Promise((resolve) => FakeSocket.waiting.push(resolve));
    return FakeSocket.opened[index];
  }

  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen({}); }
  push(message) { this.onmessage({ data: JSON.stringify({ timestamp: "2026-01-01T00:00:00.000Z", ...message }) }); }
  drop(code) { this.readyState = 3; this.onclose?.({ code, reason: "" }); }
  last() { return this.sent.at(-1); }
}

const order = (sequence) => ({ type: "order_created", channel: "orders", sequence, account_id: "acc_1", order_id: `ord_${sequence}` });

test("resume with since after a gap, resync beyond the window, stop on 4003", async () => {
  const events = [];
  const notices = [];
  const client = new CantonDexClient({
    baseUrl: "http://gateway.test", credentials: { apiKey: "key_0123456789abcdef.secret" }, WebSocket: FakeSocket,
    backoffInitialMs: 1, backoffMaxMs: 2, heartbeatMs: 60_000,
    onEvent: (event) => events.push(event.sequence), onNotice: (notice) => notices.push(notice),
  });
  client.subscribe("orders");
  await client.start();

  const first = await FakeSocket.nth(0);
  assert.equal(first.url, "ws://gateway.test/v1/ws");
  first.open();
  assert.deepEqual(first.last(), { type: "auth", api_key: "key_0123456789abcdef.secret" });
  first.push({ type: "auth_response", status: "authenticated", account_id: "acc_1" });
  assert.deepEqual(first.last(), { type: "subscribe", channels: [{ channel: "orders" }] });
  first.push({ type: "subscription_response", channel: "orders", account_id: "acc_1", status: "subscribed" });
  first.push({ type: "ping" });
  assert.deepEqual(first.last(), { type: "pong" });
  [5, 6, 6].forEach((sequence) => first.push(order(sequence)));
  first.push(order(8)); // 7 is missing

  const second = await FakeSocket.nth(1);
  second.open();
  second.push({ type: "auth_response", status: "authenticated", account_id: "acc_1" });
  assert.deepEqual(second.last(), { type: "subscribe", channels: [{ channel: "orders", since: 6 }] });
  second.push({ type: "subscription_response", channel: "orders", status: "subscribed", recovered: true, replayed: 2 });
  [7, 8].forEach((sequence) => second.push(order(sequence)));
  second.drop(1006);

  const third = await FakeSocket.nth(2);
  third.open();
  third.push({ type: "auth_response", status: "authenticated", account_id: "acc_1" });
  assert.deepEqual(third.last(), { type: "subscribe", channels: [{ channel: "orders", since: 8 }] });
  third.push({ type: "subscription_response", channel: "orders", status: "subscribed", recovered: false, reason: "window_exceeded", resync: "reload", sequence: 2000 });
  third.push(order(2001));
  third.drop(4003);

  assert.deepEqual(events, [5, 6, 7, 8, 2001]);
  assert.deepEqual(notices.filter((n) => n.kind === "resync"), [
    { kind: "resync", channel: "orders", key: null, reason: "window_exceeded", sequence: 2000, hint: "reload" },
  ]);
  assert.equal(notices.at(-1).retryInMs, null);
  assert.equal(client.connections, 3);
  assert.equal(FakeSocket.opened.length, 3);
  client.close();
});

test("auction channels by auction_id, counted afresh from each snapshot; a request awaits its reply", async () => {
  const events = [];
  const client = new CantonDexClient({
    baseUrl: "http://gateway.test", credentials: { session: true }, WebSocket: FakeSocket,
    backoffInitialMs: 1, backoffMaxMs: 2, heartbeatMs: 60_000,
    onEvent: (event) => events.push(`${event.type} ${event.sequence}`),
  });
  const bid = (sequence, extra = {}) => ({ type: "new_bid", channel: "bids", sequence, payload: { auction_id: "auc_1" }, ...extra });
  client.subscribe("bids", { auctionId: "auc_1" });
  const index = FakeSocket.opened.length;
  await client.start();
  await assert.rejects(client.request({ type: "submit_bid" }), /not connected/);

  const first = await FakeSocket.nth(index);
  first.open(); // the session cookie authenticated it: no auth message
  assert.deepEqual(first.last(), { type: "subscribe", channels: [{ channel: "bids", auction_id: "auc_1" }] });
  first.push({ type: "subscription_response", channel: "bids", auction_id: "auc_1", status: "subscribed" });
  first.push(bid(3, { snapshot: true }));
  first.push(bid(4));

  const accepted = client.request({ type: "submit_bid", auction_id: "auc_1", payload: { quantity: 1, price: 2 } });
  const sent = first.last();
  assert.equal(sent.type, "submit_bid");
  first.push({ type: "bid_accepted", correlation_id: sent.correlation_id, payload: { bid_id: "bid_1", price: 2 } });
  assert.deepEqual((await accepted).payload, { bid_id: "bid_1", price: "2" });
  const refused = client.request({ type: "submit_bid", auction_id: "auc_1", payload: {} });
  first.push({ type: "error", correlation_id: first.last().correlation_id, code: "RATE_LIMITED", message: "slow down" });
  await assert.rejects(refused, { name: "Error", code: "RATE_LIMITED", message: "slow down" });
  const unanswered = client.request({ type: "submit_bid", auction_id: "auc_1", payload: {} });
  first.drop(1006);
  await assert.rejects(unanswered, /connection lost before the reply/);

  // Bids were placed while away and none is active now: an empty snapshot, then the next live event.
  const second = await FakeSocket.nth(index + 1);
  second.open();
  assert.deepEqual(second.last(), { type: "subscribe", channels: [{ channel: "bids", auction_id: "auc_1" }] });
  second.push({ type: "subscription_response", channel: "bids", auction_id: "auc_1", status: "subscribed" });
  second.push(bid(9));
  second.push(bid(10));

  assert.deepEqual(events, ["new_bid 3", "new_bid 4", "new_bid 9", "new_bid 10"]);
  assert.equal(FakeSocket.opened.length, index + 2); // no gap was seen, so no reconnect
  client.close();
});

test("placeOrder sends place_order with exact decimals and resolves with the direct reply", async () => {
  const client = new CantonDexClient({
    baseUrl: "http://gateway.test", credentials: { session: true }, WebSocket: FakeSocket,
    backoffInitialMs: 1, backoffMaxMs: 2, heartbeatMs: 60_000,
  });
  const index = FakeSocket.opened.length;
  await client.start();
  const socket = await FakeSocket.nth(index);
  socket.open();
  const placed = client.placeOrder({ symbol: "AAPL/USDC", side: "buy", quantity: "1.10", price: "150.25", client_order_id: "bot-1", time_in_force: "ioc" });
  const sent = socket.last();
  assert.deepEqual({ ...sent, correlation_id: undefined }, {
    type: "place_order", symbol: "AAPL/USDC", side: "buy", order_type: "limit", quantity: 1.1, price: 150.25,
    client_order_id: "bot-1", time_in_force: "ioc", correlation_id: undefined,
  });
  socket.push({ type: "order_accepted", correlation_id: sent.correlation_id, request: "place_order", created: true, order: { order_id: "ord_1" } });
  const reply = await placed;
  assert.equal(reply.type, "order_accepted");
  assert.equal(reply.order.order_id, "ord_1");
  client.close();
});
