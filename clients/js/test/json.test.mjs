import assert from "node:assert/strict";
import { test } from "node:test";

import { exact, parseMessage, stringifyMessage } from "../dist/index.js";

test("decimals keep every digit; counters stay numbers", () => {
  const message = parseMessage('{"type":"order_created","sequence":7,"price":123456789012.12345678,"quantity":100,"bid":null}');
  assert.equal(message.price, "123456789012.12345678");
  assert.equal(message.quantity, "100");
  assert.equal(message.sequence, 7);
  assert.equal(message.bid, null);
});

test("exact() writes a JSON number digit for digit", () => {
  assert.equal(stringifyMessage({ price: exact("999999999999.99999999") }), '{"price":999999999999.99999999}');
});
