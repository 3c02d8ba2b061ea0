var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

// node_modules/lossless-json/lib/esm/utils.js
function isInteger(value) {
  return INTEGER_REGEX.test(value);
}
var INTEGER_REGEX = /^-?[0-9]+$/;
function isNumber(value) {
  return NUMBER_REGEX.test(value);
}
var NUMBER_REGEX = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
function isSafeNumber(value, config2) {
  if (isInteger(value)) {
    return Number.isSafeInteger(Number.parseInt(value, 10));
  }
  const num = Number.parseFloat(value);
  if (Number.isInteger(num) && !Number.isSafeInteger(num)) {
    return false;
  }
  const parsed = String(num);
  if (value === parsed) {
    return true;
  }
  const valueDigits = extractSignificantDigits(value);
  const parsedDigits = extractSignificantDigits(parsed);
  if (valueDigits === parsedDigits) {
    return true;
  }
  if (config2?.approx === true) {
    const requiredDigits = 14;
    if (parsedDigits.length >= requiredDigits && valueDigits.startsWith(parsedDigits.substring(0, requiredDigits))) {
      return true;
    }
  }
  return false;
}
var UnsafeNumberReason = /* @__PURE__ */ (function(UnsafeNumberReason2) {
  UnsafeNumberReason2["underflow"] = "underflow";
  UnsafeNumberReason2["overflow"] = "overflow";
  UnsafeNumberReason2["truncate_integer"] = "truncate_integer";
  UnsafeNumberReason2["truncate_float"] = "truncate_float";
  return UnsafeNumberReason2;
})({});
function getUnsafeNumberReason(value) {
  if (isSafeNumber(value, {
    approx: false
  })) {
    return void 0;
  }
  if (isInteger(value)) {
    return UnsafeNumberReason.truncate_integer;
  }
  const num = Number.parseFloat(value);
  if (!Number.isFinite(num)) {
    return UnsafeNumberReason.overflow;
  }
  if (num === 0) {
    return UnsafeNumberReason.underflow;
  }
  return UnsafeNumberReason.truncate_float;
}
function extractSignificantDigits(value) {
  const {
    start,
    end
  } = getSignificantDigitRange(value);
  const digits = value.substring(start, end);
  const dot = digits.indexOf(".");
  if (dot === -1) {
    return digits;
  }
  return digits.substring(0, dot) + digits.substring(dot + 1);
}
function getSignificantDigitRange(value) {
  let start = 0;
  if (value[0] === "-") {
    start++;
  }
  while (value[start] === "0" || value[start] === ".") {
    start++;
  }
  let end = value.lastIndexOf("e");
  if (end === -1) {
    end = value.lastIndexOf("E");
  }
  if (end === -1) {
    end = value.length;
  }
  while ((value[end - 1] === "0" || value[end - 1] === ".") && end > start) {
    end--;
  }
  return {
    start,
    end
  };
}

// node_modules/lossless-json/lib/esm/LosslessNumber.js
var losslessNumberMarker = /* @__PURE__ */ Symbol.for("lossless-json.LosslessNumber");
var LosslessNumber = class {
  constructor(value) {
    // numeric value as string
    __publicField(this, "value");
    /**
     * @deprecated Use the isLosslessNumber(value) function instead.
     *
     * Ordinary objects may also have an isLosslessNumber property, so this
     * field cannot reliably identify lossless numbers.
     */
    __publicField(this, "isLosslessNumber", true);
    if (!isNumber(value)) {
      throw new Error(`Invalid number (value: "${value}")`);
    }
    this.value = value;
  }
  get [losslessNumberMarker]() {
    return true;
  }
  /**
   * Get the value of the LosslessNumber as number or bigint.
   *
   * - a number is returned for safe numbers and decimal values that only lose some insignificant digits
   * - a bigint is returned for big integer numbers
   * - an Error is thrown for values that will overflow or underflow
   *
   * Note that you can implement your own strategy for conversion by just getting the value as string
   * via .toString(), and using util functions like isInteger, isSafeNumber, getUnsafeNumberReason,
   * and toSafeNumberOrThrow to convert it to a numeric value.
   */
  valueOf() {
    const unsafeReason = getUnsafeNumberReason(this.value);
    if (unsafeReason === void 0 || unsafeReason === UnsafeNumberReason.truncate_float) {
      return Number.parseFloat(this.value);
    }
    if (isInteger(this.value)) {
      return BigInt(this.value);
    }
    throw new Error(`Cannot safely convert to number: the value '${this.value}' would ${unsafeReason} and become ${Number.parseFloat(this.value)}`);
  }
  /**
   * Get the value of the LosslessNumber as string.
   */
  toString() {
    return this.value;
  }
  // Note: we do NOT implement a .toJSON() method, and you should not implement
  // or use that, it cannot safely turn the numeric value in the string into
  // stringified JSON since it has to be parsed into a number first.
};
function isLosslessNumber(value) {
  return value !== null && typeof value === "object" && value[losslessNumberMarker] === true;
}

// node_modules/lossless-json/lib/esm/numberParsers.js
function parseLosslessNumber(value) {
  return new LosslessNumber(value);
}

// node_modules/lossless-json/lib/esm/revive.js
function revive(json, reviver) {
  return reviveValue({
    "": json
  }, "", json, reviver);
}
function reviveValue(context, key, value, reviver) {
  if (Array.isArray(value)) {
    return reviver.call(context, key, reviveArray(value, reviver));
  }
  if (value && typeof value === "object" && !isLosslessNumber(value)) {
    return reviver.call(context, key, reviveObject(value, reviver));
  }
  return reviver.call(context, key, value);
}
function reviveObject(object, reviver) {
  for (const key of Object.keys(object)) {
    const value = reviveValue(object, key, object[key], reviver);
    if (value !== void 0) {
      object[key] = value;
    } else {
      delete object[key];
    }
  }
  return object;
}
function reviveArray(array, reviver) {
  for (let i = 0; i < array.length; i++) {
    const value = reviveValue(array, String(i), array[i], reviver);
    if (value === void 0) {
      delete array[i];
    } else {
      array[i] = value;
    }
  }
  return array;
}

// node_modules/lossless-json/lib/esm/parse.js
function parse(text, reviver, options) {
  const optionsObj = typeof options === "function" ? {
    parseNumber: options
  } : options;
  const parseNumber = optionsObj?.parseNumber ?? parseLosslessNumber;
  const onDuplicateKey = optionsObj?.onDuplicateKey ?? throwDuplicateKey;
  let i = 0;
  const value = parseValue();
  expectValue(value);
  expectEndOfInput();
  return reviver ? revive(value, reviver) : value;
  function parseObject() {
    if (text.charCodeAt(i) === codeOpeningBrace) {
      i++;
      skipWhitespace();
      const object = {};
      let initial = true;
      while (i < text.length && text.charCodeAt(i) !== codeClosingBrace) {
        if (!initial) {
          eatComma();
          skipWhitespace();
        } else {
          initial = false;
        }
        const start = i;
        const key = parseString();
        if (key === void 0) {
          throwObjectKeyExpected();
          return;
        }
        skipWhitespace();
        eatColon();
        const value2 = parseValue();
        if (value2 === void 0) {
          throwObjectValueExpected();
          return;
        }
        if (Object.prototype.hasOwnProperty.call(object, key) && !isDeepEqual(value2, object[key])) {
          const returnedValue = onDuplicateKey({
            key,
            position: start + 1,
            oldValue: object[key],
            newValue: value2
          });
          if (returnedValue !== void 0) {
            setObjectKey(object, key, returnedValue);
          }
        } else {
          setObjectKey(object, key, value2);
        }
      }
      if (text.charCodeAt(i) !== codeClosingBrace) {
        throwObjectKeyOrEndExpected();
      }
      i++;
      return object;
    }
  }
  function parseArray() {
    if (text.charCodeAt(i) === codeOpeningBracket) {
      i++;
      skipWhitespace();
      const array = [];
      let initial = true;
      while (i < text.length && text.charCodeAt(i) !== codeClosingBracket) {
        if (!initial) {
          eatComma();
        } else {
          initial = false;
        }
        const value2 = parseValue();
        expectArrayItem(value2);
        array.push(value2);
      }
      if (text.charCodeAt(i) !== codeClosingBracket) {
        throwArrayItemOrEndExpected();
      }
      i++;
      return array;
    }
  }
  function parseValue() {
    skipWhitespace();
    const value2 = parseString() ?? parseNumeric() ?? parseObject() ?? parseArray() ?? parseKeyword("true", true) ?? parseKeyword("false", false) ?? parseKeyword("null", null);
    skipWhitespace();
    return value2;
  }
  function parseKeyword(name, value2) {
    if (text.slice(i, i + name.length) === name) {
      i += name.length;
      return value2;
    }
  }
  function skipWhitespace() {
    while (isWhitespace(text.charCodeAt(i))) {
      i++;
    }
  }
  function parseString() {
    if (text.charCodeAt(i) === codeDoubleQuote) {
      i++;
      let result = "";
      while (i < text.length && text.charCodeAt(i) !== codeDoubleQuote) {
        if (text.charCodeAt(i) === codeBackslash) {
          const char = text[i + 1];
          const escapeChar = escapeCharacters[char];
          if (escapeChar !== void 0) {
            result += escapeChar;
            i++;
          } else if (char === "u") {
            if (isHex(text.charCodeAt(i + 2)) && isHex(text.charCodeAt(i + 3)) && isHex(text.charCodeAt(i + 4)) && isHex(text.charCodeAt(i + 5))) {
              result += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
              i += 5;
            } else {
              throwInvalidUnicodeCharacter(i);
            }
          } else {
            throwInvalidEscapeCharacter(i);
          }
        } else {
          if (isValidStringCharacter(text.charCodeAt(i))) {
            result += text[i];
          } else {
            throwInvalidCharacter(text[i]);
          }
        }
        i++;
      }
      expectEndOfString();
      i++;
      return result;
    }
  }
  function parseNumeric() {
    const start = i;
    if (text.charCodeAt(i) === codeMinus) {
      i++;
      expectDigit(start);
    }
    if (text.charCodeAt(i) === codeZero) {
      i++;
    } else if (isNonZeroDigit(text.charCodeAt(i))) {
      i++;
      while (isDigit(text.charCodeAt(i))) {
        i++;
      }
    } else {
      return void 0;
    }
    if (text.charCodeAt(i) === codeDot) {
      i++;
      expectDigit(start);
      while (isDigit(text.charCodeAt(i))) {
        i++;
      }
    }
    if (text.charCodeAt(i) === codeLowercaseE || text.charCodeAt(i) === codeUppercaseE) {
      i++;
      if (text.charCodeAt(i) === codeMinus || text.charCodeAt(i) === codePlus) {
        i++;
      }
      expectDigit(start);
      while (isDigit(text.charCodeAt(i))) {
        i++;
      }
    }
    if (i > start) {
      return parseNumber(text.slice(start, i));
    }
  }
  function eatComma() {
    if (text.charCodeAt(i) !== codeComma) {
      throw new SyntaxError(`Comma ',' expected after value ${gotAt()}`);
    }
    i++;
  }
  function eatColon() {
    if (text.charCodeAt(i) !== codeColon) {
      throw new SyntaxError(`Colon ':' expected after property name ${gotAt()}`);
    }
    i++;
  }
  function expectValue(value2) {
    if (value2 === void 0) {
      throw new SyntaxError(`JSON value expected ${gotAt()}`);
    }
  }
  function expectArrayItem(value2) {
    if (value2 === void 0) {
      throw new SyntaxError(`Array item expected ${gotAt()}`);
    }
  }
  function expectEndOfInput() {
    if (i < text.length) {
      throw new SyntaxError(`Expected end of input ${gotAt()}`);
    }
  }
  function expectDigit(start) {
    if (!isDigit(text.charCodeAt(i))) {
      const numSoFar = text.slice(start, i);
      throw new SyntaxError(`Invalid number '${numSoFar}', expecting a digit ${gotAt()}`);
    }
  }
  function expectEndOfString() {
    if (text.charCodeAt(i) !== codeDoubleQuote) {
      throw new SyntaxError(`End of string '"' expected ${gotAt()}`);
    }
  }
  function throwObjectKeyExpected() {
    throw new SyntaxError(`Quoted object key expected ${gotAt()}`);
  }
  function throwDuplicateKey({
    key,
    position
  }) {
    throw new SyntaxError(`Duplicate key '${key}' encountered at position ${position}`);
  }
  function throwObjectKeyOrEndExpected() {
    throw new SyntaxError(`Quoted object key or end of object '}' expected ${gotAt()}`);
  }
  function throwArrayItemOrEndExpected() {
    throw new SyntaxError(`Array item or end of array ']' expected ${gotAt()}`);
  }
  function throwInvalidCharacter(char) {
    throw new SyntaxError(`Invalid character '${char}' ${pos()}`);
  }
  function throwInvalidEscapeCharacter(start) {
    const chars = text.slice(start, start + 2);
    throw new SyntaxError(`Invalid escape character '${chars}' ${pos()}`);
  }
  function throwObjectValueExpected() {
    throw new SyntaxError(`Object value expected after ':' ${pos()}`);
  }
  function throwInvalidUnicodeCharacter(start) {
    const chars = text.slice(start, start + 6);
    throw new SyntaxError(`Invalid unicode character '${chars}' ${pos()}`);
  }
  function pos() {
    return `at position ${i}`;
  }
  function got() {
    return i < text.length ? `but got '${text[i]}'` : "but reached end of input";
  }
  function gotAt() {
    return `${got()} ${pos()}`;
  }
}
function setObjectKey(object, key, value) {
  if (key === "__proto__") {
    Object.defineProperty(object, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true
    });
  } else {
    object[key] = value;
  }
}
function isWhitespace(code) {
  return code === codeSpace || code === codeNewline || code === codeTab || code === codeReturn;
}
function isHex(code) {
  return code >= codeZero && code <= codeNine || code >= codeUppercaseA && code <= codeUppercaseF || code >= codeLowercaseA && code <= codeLowercaseF;
}
function isDigit(code) {
  return code >= codeZero && code <= codeNine;
}
function isNonZeroDigit(code) {
  return code >= codeOne && code <= codeNine;
}
function isValidStringCharacter(code) {
  return code >= 32 && code <= 1114111;
}
function isDeepEqual(a, b) {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => isDeepEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = [.../* @__PURE__ */ new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.every((key) => isDeepEqual(a[key], b[key]));
  }
  return false;
}
function isObject(value) {
  return typeof value === "object" && value !== null;
}
var escapeCharacters = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "	"
  // note that \u is handled separately in parseString()
};
var codeBackslash = 92;
var codeOpeningBrace = 123;
var codeClosingBrace = 125;
var codeOpeningBracket = 91;
var codeClosingBracket = 93;
var codeSpace = 32;
var codeNewline = 10;
var codeTab = 9;
var codeReturn = 13;
var codeDoubleQuote = 34;
var codePlus = 43;
var codeMinus = 45;
var codeZero = 48;
var codeOne = 49;
var codeNine = 57;
var codeComma = 44;
var codeDot = 46;
var codeColon = 58;
var codeUppercaseA = 65;
var codeLowercaseA = 97;
var codeUppercaseE = 69;
var codeLowercaseE = 101;
var codeUppercaseF = 70;
var codeLowercaseF = 102;

// node_modules/lossless-json/lib/esm/stringify.js
function stringify(value, replacer, space, numberStringifiers) {
  const resolvedSpace = resolveSpace(space);
  const replacedValue = typeof replacer === "function" ? replacer.call({
    "": value
  }, "", value) : value;
  return stringifyValue(replacedValue, "");
  function stringifyValue(value2, indent) {
    if (Array.isArray(numberStringifiers)) {
      const stringifier = numberStringifiers.find((item) => item.test(value2));
      if (stringifier) {
        const str = stringifier.stringify(value2);
        if (typeof str !== "string" || !isNumber(str)) {
          throw new Error(`Invalid JSON number: output of a number stringifier must be a string containing a JSON number (output: ${str})`);
        }
        return str;
      }
    }
    if (typeof value2 === "boolean" || typeof value2 === "number" || typeof value2 === "string" || value2 === null || value2 instanceof Date || value2 instanceof Boolean || value2 instanceof Number || value2 instanceof String) {
      return JSON.stringify(value2);
    }
    if (isLosslessNumber(value2)) {
      return value2.toString();
    }
    if (typeof value2 === "bigint") {
      return value2.toString();
    }
    if (Array.isArray(value2)) {
      return stringifyArray(value2, indent);
    }
    if (value2 && typeof value2 === "object") {
      return stringifyObject(value2, indent);
    }
    return void 0;
  }
  function stringifyArray(array, indent) {
    if (array.length === 0) {
      return "[]";
    }
    const childIndent = resolvedSpace ? indent + resolvedSpace : void 0;
    let str = resolvedSpace ? "[\n" : "[";
    for (let i = 0; i < array.length; i++) {
      const item = typeof replacer === "function" ? replacer.call(array, String(i), array[i]) : array[i];
      if (resolvedSpace) {
        str += childIndent;
      }
      if (typeof item !== "undefined" && typeof item !== "function") {
        const serialized = stringifyValue(item, childIndent);
        str += serialized === void 0 ? "null" : serialized;
      } else {
        str += "null";
      }
      if (i < array.length - 1) {
        str += resolvedSpace ? ",\n" : ",";
      }
    }
    str += resolvedSpace ? `
${indent}]` : "]";
    return str;
  }
  function stringifyObject(object, indent) {
    if (typeof object.toJSON === "function") {
      return stringifyValue(object.toJSON(), indent);
    }
    const keys = Array.isArray(replacer) ? [...new Set(replacer.map(String))] : Object.keys(object);
    if (keys.length === 0) {
      return "{}";
    }
    const childIndent = resolvedSpace ? indent + resolvedSpace : void 0;
    let first = true;
    let str = resolvedSpace ? "{\n" : "{";
    for (const key of keys) {
      const value2 = typeof replacer === "function" ? replacer.call(object, key, object[key]) : object[key];
      if (includeProperty(key, value2)) {
        const serialized = stringifyValue(value2, childIndent);
        if (serialized === void 0) {
          continue;
        }
        if (first) {
          first = false;
        } else {
          str += resolvedSpace ? ",\n" : ",";
        }
        const keyStr = JSON.stringify(key);
        str += resolvedSpace ? `${childIndent + keyStr}: ` : `${keyStr}:`;
        str += serialized;
      }
    }
    str += resolvedSpace ? `
${indent}}` : "}";
    return str;
  }
  function includeProperty(_key, value2) {
    return typeof value2 !== "undefined" && typeof value2 !== "function" && typeof value2 !== "symbol";
  }
}
var MAX_SPACE_LENGTH = 10;
function resolveSpace(space) {
  if (typeof space === "number") {
    const count = Math.min(Math.trunc(space), MAX_SPACE_LENGTH);
    return count >= 1 ? " ".repeat(count) : void 0;
  }
  if (typeof space === "string" && space !== "") {
    return space.slice(0, MAX_SPACE_LENGTH);
  }
  return void 0;
}

// src/json.ts
var COUNTERS = /* @__PURE__ */ new Set([
  "sequence",
  "replayed",
  "retry_after_ms",
  "limit_per_s",
  "limit",
  "size",
  "max_depth",
  "refused",
  "correlation_id",
  "count"
  // DELETE /v1/orders: how many orders were cancelled
]);
function parseMessage(text) {
  return parse(text, (key, value) => {
    if (!isLosslessNumber(value)) return value;
    return COUNTERS.has(key) ? Number(value.toString()) : value.toString();
  });
}
function stringifyMessage(value) {
  return stringify(value) ?? "null";
}
function exact(value) {
  return new LosslessNumber(String(value));
}

// src/rest.ts
var ApiError = class extends Error {
  constructor(status, body) {
    super(`HTTP ${status} ${body?.code ?? ""}: ${body?.message ?? JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
    this.code = body?.code;
  }
};
async function request(baseUrl, method, path, { body, authorization } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== void 0) headers["Content-Type"] = "application/json";
  if (authorization) headers.Authorization = authorization;
  const response = await fetch(baseUrl.replace(/\/$/, "") + path, {
    method,
    headers,
    body: body === void 0 ? void 0 : stringifyMessage(body),
    credentials: "same-origin"
  });
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? parseMessage(text) : null;
  } catch {
    answer = text;
  }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}
function orderBody({ quantity, price, order_type = "limit", ...rest }) {
  const body = { ...rest, order_type, quantity: exact(quantity) };
  if (price !== void 0) body.price = exact(price);
  return body;
}
function withQuery(path, filters) {
  const query = new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, String(v)])).toString();
  return path + (query ? `?${query}` : "");
}
var Rest = class {
  constructor(baseUrl, authorization) {
    this.baseUrl = baseUrl;
    this.authorization = authorization;
  }
  async call(method, path, body) {
    return request(this.baseUrl, method, path, { body, authorization: await this.authorization() });
  }
  me() {
    return this.call("GET", "/v1/accounts/me");
  }
  /** 201 with a new order, 200 with the original one for a retry with its client_order_id. */
  placeOrder(order) {
    return this.call("POST", "/v1/orders", orderBody(order));
  }
  getOrder(orderId) {
    return this.call("GET", `/v1/orders/${encodeURIComponent(orderId)}`);
  }
  getOrderByClientId(clientOrderId) {
    return this.call("GET", `/v1/orders/by-client-id/${encodeURIComponent(clientOrderId)}`);
  }
  cancelOrder(orderId) {
    return this.call("DELETE", `/v1/orders/${encodeURIComponent(orderId)}`);
  }
  /** Cancel every open order, or one market's: `{cancelled: [order ids], count}`. */
  cancelAll(symbol) {
    return this.call("DELETE", "/v1/orders" + (symbol ? `?symbol=${encodeURIComponent(symbol)}` : ""));
  }
  /** The dead-man's switch: cancel all unless called again within `timeoutS` seconds; 0 turns it off. */
  cancelAllAfter(timeoutS) {
    return this.call("POST", "/v1/orders/cancel-all-after", { timeout_s: timeoutS });
  }
  /** GET /v1/orders: one page, newest first. Filters: symbol, status, side, open (true: on the book), limit, cursor. */
  listOrders(filters = {}) {
    return this.call("GET", withQuery("/v1/orders", filters));
  }
  /** GET /v1/trades: one page of the caller's fills. Filters: symbol, order_id, limit, cursor. */
  listTrades(filters = {}) {
    return this.call("GET", withQuery("/v1/trades", filters));
  }
  /** Every row of a paged list (/v1/orders, /v1/trades, /v1/settlements, /v1/deposits, /v1/withdrawals,
   * /v1/markets/{symbol}/trades), newest first, page after page. */
  async *every(path, filters = {}) {
    let query = filters;
    while (true) {
      const page = await this.call("GET", withQuery(path, query));
      yield* page.results;
      if (!page.next_cursor) return;
      query = { ...query, cursor: page.next_cursor };
    }
  }
  /** GET /v1/markets/{symbol}/orderbook (public): {symbol, bids, asks, timestamp}, levels best first. */
  orderbook(symbol, depth) {
    return this.call("GET", withQuery(`/v1/markets/${encodeURIComponent(symbol)}/orderbook`, depth === void 0 ? {} : { depth }));
  }
  /** GET /v1/markets/{symbol}/ticker (public): last price, best bid and ask, 24-hour statistics. */
  ticker(symbol) {
    return this.call("GET", `/v1/markets/${encodeURIComponent(symbol)}/ticker`);
  }
  placeBid(auctionId, { quantity, price, client_bid_id }) {
    const body = { quantity: exact(quantity), price: exact(price) };
    if (client_bid_id !== void 0) body.client_bid_id = client_bid_id;
    return this.call("POST", `/v1/auctions/${encodeURIComponent(auctionId)}/bids`, body);
  }
  cancelBid(bidId) {
    return this.call("DELETE", `/v1/bids/${encodeURIComponent(bidId)}`);
  }
};

// src/auth.ts
var REFRESH_AT_SHARE = 0.75;
var AuthError = class extends Error {
};
var refused = (error) => error instanceof ApiError && [400, 401, 403].includes(error.status);
function tokenTimes(access) {
  const payload = access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const claims = JSON.parse(atob(payload + "=".repeat((4 - payload.length % 4) % 4)));
  return [claims.iat ?? claims.exp - 60, claims.exp];
}
var Auth = class {
  constructor(baseUrl, credentials) {
    this.baseUrl = baseUrl;
    this.credentials = credentials;
    this.tokens = null;
    this.refreshes = 0;
    this.stale = false;
    this.renewing = null;
    if ("tokens" in credentials) this.tokens = { ...credentials.tokens };
  }
  /** The socket's auth message, or null when the session cookie authenticates it. */
  wsAuth() {
    if ("session" in this.credentials) return null;
    if ("apiKey" in this.credentials) return { type: "auth", api_key: this.credentials.apiKey };
    return { type: "auth", token: this.tokens.access };
  }
  async authorization() {
    if ("session" in this.credentials) return null;
    if ("apiKey" in this.credentials) return `ApiKey ${this.credentials.apiKey}`;
    await this.fresh();
    return `Bearer ${this.tokens.access}`;
  }
  /** Milliseconds until the access token should be replaced; null when nothing expires. */
  refreshDueInMs() {
    if (!this.isJwt() || this.tokens === null) return null;
    if (this.stale) return 0;
    const [issued, expires] = tokenTimes(this.tokens.access);
    return (issued + (expires - issued) * REFRESH_AT_SHARE) * 1e3 - Date.now();
  }
  /** The server refused the credentials: a JWT is renewed before the next use, anything else is final. */
  invalidate() {
    if (!this.isJwt()) throw new AuthError("the credentials were refused");
    this.stale = true;
  }
  async fresh() {
    if (!this.isJwt()) return;
    if (this.tokens !== null && (this.refreshDueInMs() ?? 1) > 0) return;
    this.renewing ?? (this.renewing = this.renew().finally(() => {
      this.renewing = null;
    }));
    await this.renewing;
  }
  isJwt() {
    return !("session" in this.credentials) && !("apiKey" in this.credentials);
  }
  async renew() {
    const { username, password } = this.credentials;
    if (this.tokens?.refresh) {
      try {
        const answer = await request(this.baseUrl, "POST", "/v1/auth/token/refresh", { body: { refresh: this.tokens.refresh } });
        this.tokens = { access: answer.access, refresh: answer.refresh ?? this.tokens.refresh };
        this.refreshes += 1;
        this.stale = false;
        return;
      } catch (error) {
        if (!refused(error)) throw error;
        if (password === void 0) throw new AuthError(`token refresh refused: ${error.message}`);
      }
    }
    if (username === void 0 || password === void 0) {
      throw new AuthError("the access token expired and there is no refresh token or password to renew it");
    }
    try {
      const answer = await request(this.baseUrl, "POST", "/v1/auth/token", { body: { username, password } });
      this.tokens = { access: answer.access, refresh: answer.refresh };
      this.stale = false;
    } catch (error) {
      throw refused(error) ? new AuthError(`login refused: ${error.message}`) : error;
    }
  }
};

// src/client.ts
var DURABLE = /* @__PURE__ */ new Set(["orders", "trades", "settlements", "account_notifications", "compliance_events", "system_health"]);
var WITH_SNAPSHOT = /* @__PURE__ */ new Set(["system_health"]);
var ACCOUNT_CHANNELS = /* @__PURE__ */ new Set(["orders", "trades", "settlements", "account_notifications"]);
var FINAL_CLOSE_CODES = /* @__PURE__ */ new Set([4003]);
var DROPPED = 4e3;
var AUCTION_CHANNELS = /* @__PURE__ */ new Set(["auction", "bids", "settlement"]);
var RequestError = class extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
};
var CantonDexClient = class {
  constructor(options) {
    this.options = options;
    this.accountId = null;
    /** Connections authenticated so far (1 + reconnects). */
    this.connections = 0;
    this.streams = [];
    this.socket = null;
    this.authenticated = false;
    this.attempt = 0;
    this.lastHeard = 0;
    this.closed = false;
    this.timers = /* @__PURE__ */ new Set();
    this.heartbeat = null;
    this.correlation = 0;
    this.pending = /* @__PURE__ */ new Map();
    this.baseUrl = (options.baseUrl ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    this.wsUrl = options.wsUrl ?? this.baseUrl.replace(/^http/, "ws") + "/v1/ws";
    this.auth = new Auth(this.baseUrl, options.credentials);
    this.rest = new Rest(this.baseUrl, () => this.auth.authorization());
  }
  /** Log in if needed, then connect (and keep reconnecting until `close()`). */
  async start() {
    await this.auth.fresh();
    await this.open();
  }
  close() {
    this.closed = true;
    this.stopTimers();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    this.socket?.close(1e3, "client closed");
    this.socket = null;
  }
  /** Follow a channel; kept across reconnects. */
  subscribe(channel, { accountId, symbols, aggregation, auctionId } = {}) {
    const added = symbols ? symbols.map((symbol) => ({ channel, key: symbol, aggregation, last: null, wasLive: false })) : [{ channel, key: auctionId ?? accountId ?? null, last: null, wasLive: false }];
    this.streams.push(...added);
    if (this.authenticated) this.send({ type: "subscribe", channels: subscribeItems(added) });
  }
  unsubscribe(channel, { accountId, symbols, auctionId } = {}) {
    const keys = new Set(symbols ?? [auctionId ?? accountId ?? null]);
    this.streams = this.streams.filter((s) => !(s.channel === channel && keys.has(s.key)));
    if (!this.authenticated) return;
    const message = { type: "unsubscribe", channel };
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
  request(message) {
    if (!this.authenticated) return Promise.reject(new Error("not connected"));
    const correlationId = `request-${++this.correlation}`;
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.send({ ...message, correlation_id: correlationId });
    });
  }
  /** place_order on the socket: resolves with `order_accepted` (`order`, `created`) or `order_rejected` (`code`). */
  placeOrder(order) {
    return this.request({ type: "place_order", ...orderBody(order) });
  }
  // The connection
  async open() {
    const Socket = this.options.WebSocket ?? globalThis.WebSocket ?? (await import("ws")).default;
    if (this.closed) return;
    const socket = this.socket = new Socket(this.wsUrl);
    this.authenticated = false;
    socket.onopen = () => {
      const message = this.auth.wsAuth();
      if (message === null) this.onAuthenticated(null);
      else socket.send(stringifyMessage(message));
    };
    socket.onmessage = (frame) => {
      this.lastHeard = Date.now();
      this.receive(parseMessage(String(frame.data)));
    };
    socket.onerror = () => {
    };
    socket.onclose = (event) => this.lost(event.code ?? null, event.reason || "closed");
  }
  /** Drop this connection now (a gap, a silent server): no waiting for a close handshake. */
  drop(reason) {
    const socket = this.socket;
    if (socket === null) return;
    socket.onclose = socket.onmessage = null;
    try {
      socket.close(DROPPED, reason.slice(0, 100));
    } catch {
    }
    this.lost(DROPPED, reason);
  }
  lost(code, reason) {
    this.socket = null;
    this.authenticated = false;
    this.stopTimers();
    this.pending.forEach(({ reject }) => reject(new Error(`connection lost before the reply: ${reason}`)));
    this.pending.clear();
    if (this.closed) return;
    if (code !== null && FINAL_CLOSE_CODES.has(code)) return this.stop(`the server closed the connection for good (${code}: ${reason})`);
    const delay = Math.min(this.options.backoffMaxMs ?? 3e4, (this.options.backoffInitialMs ?? 500) * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
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
  stop(reason) {
    this.closed = true;
    this.notice({ kind: "disconnected", code: null, reason, retryInMs: null });
  }
  onAuthenticated(accountId) {
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
    const heartbeatMs = this.options.heartbeatMs ?? 15e3;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > 2 * heartbeatMs) this.drop("no message from the server for two heartbeat intervals");
      else this.send({ type: "ping" });
    }, heartbeatMs);
    this.scheduleRefresh();
  }
  /** Before the access token expires: refresh it over REST and re-authenticate the open socket. */
  scheduleRefresh() {
    const dueInMs = this.auth.refreshDueInMs();
    if (dueInMs === null) return;
    this.later(Math.max(dueInMs, 0), async () => {
      try {
        await this.auth.fresh();
      } catch (error) {
        if (error instanceof AuthError) return this.stop(error.message);
        return this.later(1e3, () => this.scheduleRefresh());
      }
      if (!this.authenticated) return;
      this.send({ ...this.auth.wsAuth(), correlation_id: `reauth-${++this.correlation}` });
      this.scheduleRefresh();
    });
  }
  later(ms, job) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      job();
    }, ms);
    this.timers.add(timer);
  }
  stopTimers() {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }
  send(message) {
    if (this.socket?.readyState === 1) this.socket.send(stringifyMessage(message));
  }
  // Messages
  receive(message) {
    const request2 = this.pending.get(message.correlation_id);
    if (request2 !== void 0) {
      this.pending.delete(message.correlation_id);
      if (message.type === "error") request2.reject(new RequestError(message.code, message.message, message.details ?? {}));
      else request2.resolve(message);
      return;
    }
    switch (message.type) {
      case "ping":
        return this.send({ type: "pong" });
      case "pong":
      case "unsubscribe_response":
        return;
      case "auth_response":
        if (message.status === "authenticated") {
          if (!this.authenticated) this.onAuthenticated(message.account_id ?? null);
        } else if (!this.authenticated) {
          try {
            this.auth.invalidate();
          } catch (error) {
            this.stop(String(error.message));
          }
          this.drop(`authentication refused: ${message.error_code}`);
        }
        return;
      case "subscription_response":
        return this.subscribed(message);
      case "error":
        return this.notice({ kind: "error", code: message.code, message: message.message, details: message.details ?? {}, correlationId: message.correlation_id });
    }
    if ("channel" in message && "sequence" in message) this.deliver(message);
    else this.options.onEvent?.(message);
  }
  subscribed(message) {
    const keys = message.symbols ?? [message.auction_id ?? message.account_id ?? null];
    for (const stream of this.streamsOf(message.channel, keys)) {
      stream.wasLive = true;
      if (!DURABLE.has(stream.channel)) stream.last = null;
      if (message.recovered === false) {
        stream.last = message.sequence ?? null;
        if (!WITH_SNAPSHOT.has(stream.channel)) {
          this.notice({ kind: "resync", channel: stream.channel, key: stream.key, reason: message.reason ?? "", sequence: stream.last, hint: message.resync ?? null });
        }
      }
      this.notice({ kind: "subscribed", channel: stream.channel, key: stream.key, recovered: message.recovered ?? null, replayed: message.replayed ?? 0 });
    }
  }
  deliver(message) {
    const key = message.account_id ?? message.symbol ?? message.payload?.auction_id ?? null;
    const streams = this.streamsOf(message.channel, [key]);
    const stream = streams.length === 1 ? streams[0] : null;
    if (stream !== null && !message.snapshot && stream.last !== null) {
      if (message.sequence <= stream.last) return;
      if (message.sequence !== stream.last + 1) return this.drop(`gap on ${stream.channel}: ${stream.last} then ${message.sequence}`);
    }
    if (stream !== null) stream.last = message.sequence;
    this.options.onEvent?.(message);
  }
  /** The streams a message is about: the channel's only stream, or those whose key it names. */
  streamsOf(channel, keys) {
    const onChannel = this.streams.filter((s) => s.channel === channel);
    return onChannel.length <= 1 ? onChannel : onChannel.filter((s) => keys.includes(s.key));
  }
  notice(notice) {
    this.options.onNotice?.(notice);
  }
};
function subscribeItems(streams) {
  const items = [];
  const market = /* @__PURE__ */ new Map();
  for (const stream of streams) {
    if (stream.channel === "market_data") {
      market.set(stream.aggregation, [...market.get(stream.aggregation) ?? [], stream.key ?? ""]);
      continue;
    }
    const item = { channel: stream.channel };
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
export {
  ApiError,
  Auth,
  AuthError,
  CantonDexClient,
  RequestError,
  Rest,
  exact,
  orderBody,
  parseMessage,
  request,
  stringifyMessage
};
