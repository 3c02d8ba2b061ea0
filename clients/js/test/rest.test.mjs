// The REST helpers against a scripted fetch: a paged list walked with its cursors, filters and symbols in the URL.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, Rest } from "../dist/index.js";

function scriptedFetch(answers) {
  const requested = [];
  globalThis.fetch = async (url, init) => {
    requested.push({ url, method: init.method, body: init.body, authorization: init.headers.Authorization });
    const [status, text] = Array.isArray(answers[0]) ? answers.shift() : [200, answers.shift()];
    return { ok: status < 400, status, text: async () => text };
  };
  return requested;
}

test("every() walks a list page after page with next_cursor, keeping the filters", async () => {
  const requested = scriptedFetch([
    '{"results":[{"order_id":"ord_3","price":150.25},{"order_id":"ord_2"}],"next_cursor":"c1"}',
    '{"results":[{"order_id":"ord_1"}],"next_cursor":null}',
  ]);
  const rest = new Rest("http://gateway", async () => "Bearer t");
  const rows = [];
  for await (const row of rest.every("/v1/orders", { status: "open", open: true, limit: 2 })) rows.push(row);
  assert.deepEqual(rows.map((row) => row.order_id), ["ord_3", "ord_2", "ord_1"]);
  assert.equal(rows[0].price, "150.25"); // exact decimals, as every answer
  assert.deepEqual(requested.map((r) => r.url), [
    "http://gateway/v1/orders?status=open&open=true&limit=2",
    "http://gateway/v1/orders?status=open&open=true&limit=2&cursor=c1",
  ]);
  assert.equal(requested[0].authorization, "Bearer t");
});

test("one page of orders or trades; market data with the symbol escaped", async () => {
  const requested = scriptedFetch([
    '{"results":[],"next_cursor":null}', '{"results":[],"next_cursor":null}', '{"bids":[],"asks":[]}', '{"last_price":null}',
  ]);
  const rest = new Rest("http://gateway/", async () => null);
  assert.deepEqual(await rest.listOrders({ symbol: "AAPL/USDC" }), { results: [], next_cursor: null });
  await rest.listTrades();
  await rest.orderbook("AAPL/USDC", 5);
  await rest.ticker("AAPL/USDC");
  assert.deepEqual(requested.map((r) => r.url), [
    "http://gateway/v1/orders?symbol=AAPL%2FUSDC",
    "http://gateway/v1/trades",
    "http://gateway/v1/markets/AAPL%2FUSDC/orderbook?depth=5",
    "http://gateway/v1/markets/AAPL%2FUSDC/ticker",
  ]);
});

test("order entry: place with exact decimals, find by id or client id, cancel all, the switch; a refusal throws", async () => {
  const requested = scriptedFetch([
    [201, '{"order_id":"ord_1","price":150.25}'], '{"order_id":"ord_1"}', '{"order_id":"ord_1"}',
    '{"cancelled":["ord_1"],"count":1}', '{"cancelled":[],"count":0}', '{"trigger_time":null}',
    [400, '{"code":"VALIDATION_ERROR","message":"timeout_s","details":{}}'],
  ]);
  const rest = new Rest("http://gateway", async () => "Bearer t");
  const placed = await rest.placeOrder({ symbol: "AAPL/USDC", side: "buy", quantity: "1.10", price: "150.25", client_order_id: "bot/1" });
  assert.equal(placed.price, "150.25");
  await rest.getOrder("ord_1");
  await rest.getOrderByClientId("bot/1");
  assert.deepEqual(await rest.cancelAll("AAPL/USDC"), { cancelled: ["ord_1"], count: 1 });
  await rest.cancelAll();
  await rest.cancelAllAfter(0);
  await assert.rejects(rest.cancelAllAfter(86401), (error) => error instanceof ApiError && error.status === 400);
  assert.deepEqual(requested.map((r) => `${r.method} ${r.url}`), [
    "POST http://gateway/v1/orders",
    "GET http://gateway/v1/orders/ord_1",
    "GET http://gateway/v1/orders/by-client-id/bot%2F1",
    "DELETE http://gateway/v1/orders?symbol=AAPL%2FUSDC",
    "DELETE http://gateway/v1/orders",
    "POST http://gateway/v1/orders/cancel-all-after",
    "POST http://gateway/v1/orders/cancel-all-after",
  ]);
  assert.equal(
    requested[0].body,
    '{"symbol":"AAPL/USDC","side":"buy","client_order_id":"bot/1","order_type":"limit","quantity":1.10,"price":150.25}',
  );
  assert.equal(requested[5].body, '{"timeout_s":0}');
});
