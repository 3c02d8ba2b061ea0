// The REST helpers against a scripted fetch: a paged list walked with its cursors, filters and symbols in the URL.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Rest } from "../dist/index.js";

function scriptedFetch(answers) {
  const requested = [];
  globalThis.fetch = async (url, init) => {
    requested.push({ url, authorization: init.headers.Authorization });
    return { ok: true, status: 200, text: async () => answers.shift() };
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
