// The JavaScript example client of the WebSocket API (seeds/000), run under Node with the `ws`
// package as its WebSocket. The class is the seed's, with its TypeScript types removed and the URL
// made a parameter (the seed hard-codes wss://api.cantondex.io/v1/ws).
//
//   node seed_client.js http://127.0.0.1:8000 alice PASSWORD [SYMBOL ...]
//
// It logs in over REST, authenticates, subscribes to orders, trades and market data, prints every
// message it receives as one JSON line, and exits 0 once its order, trade and price handlers have
// each seen a live event (exit 1 after TIMEOUT_MS without them).

const WebSocket = require('ws');

class CantonDEXWebSocket {
  constructor(token, accountId, url = 'wss://api.cantondex.io/v1/ws') {
    this.ws = null;
    this.token = token;
    this.accountId = accountId;
    this.url = url;
    this.reconnectAttempts = 0;
    this.maxReconnectAttempts = 5;
  }

  connect() {
    return new Promise((resolve, reject) => {
      try {
        this.ws = new WebSocket(this.url);

        this.ws.onopen = () => {
          this.authenticate().then(resolve).catch(reject);
        };

        this.ws.onmessage = (event) => this.handleMessage(JSON.parse(event.data));
        this.ws.onerror = (error) => reject(error);
      } catch (error) {
        reject(error);
      }
    });
  }

  authenticate() {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        reject(new Error('Authentication timeout'));
      }, 5000);

      this.send({
        type: 'auth',
        token: this.token
      });

      // Wait for auth response
      const originalOnMessage = this.ws.onmessage;
      this.ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === 'auth_response') {
          clearTimeout(timeout);
          this.ws.onmessage = originalOnMessage;
          if (message.status === 'authenticated') {
            resolve();
          } else {
            reject(new Error(`Authentication failed: ${message.error_message}`));
          }
        }
      };
    });
  }

  subscribeToOrders() {
    this.send({
      type: 'subscribe',
      channel: 'orders',
      account_id: this.accountId
    });
  }

  subscribeToTrades() {
    this.send({
      type: 'subscribe',
      channel: 'trades',
      account_id: this.accountId
    });
  }

  subscribeToMarketData(symbols) {
    this.send({
      type: 'subscribe',
      channel: 'market_data',
      symbols: symbols
    });
  }

  handleMessage(message) {
    switch (message.type) {
      case 'order_created':
        this.onOrderCreated(message);
        break;
      case 'order_updated':
        this.onOrderUpdated(message);
        break;
      case 'trade_executed':
        this.onTradeExecuted(message);
        break;
      case 'price_update':
        this.onPriceUpdate(message);
        break;
      case 'ping':
        this.sendPong();
        break;
      // Handle other message types...
    }
  }

  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    }
  }

  sendPong() {
    this.send({
      type: 'pong',
      timestamp: new Date().toISOString()
    });
  }

  onOrderCreated(order) {}
  onOrderUpdated(order) {}
  onTradeExecuted(trade) {}
  onPriceUpdate(price) {}

  close() {
    if (this.ws) {
      this.ws.close();
      this.ws = null;
    }
  }
}

// The checking harness around the seed's class.

const TIMEOUT_MS = 20000;
const print = (line) => console.log(JSON.stringify(line));

class CheckedClient extends CantonDEXWebSocket {
  constructor(token, accountId, url, onAllSeen) {
    super(token, accountId, url);
    this.seen = new Set();
    this.onAllSeen = onAllSeen;
  }

  handleMessage(message) {
    print({ received: message });
    super.handleMessage(message);
  }

  handled(kind, message) {
    if (message.snapshot) return; // the subscription's snapshot, not a live event
    print({ handled: kind, sequence: message.sequence });
    this.seen.add(kind);
    if (this.seen.size === 3) this.onAllSeen();
  }

  onOrderCreated(order) { this.handled('order_created', order); }
  onTradeExecuted(trade) { this.handled('trade_executed', trade); }
  onPriceUpdate(price) { this.handled('price_update', price); }
}

async function rest(baseUrl, path, options = {}) {
  const response = await fetch(baseUrl + path, {
    ...options,
    headers: { 'Content-Type': 'application/json', ...(options.headers || {}) },
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

async function main() {
  const [baseUrl, username, password, ...symbols] = process.argv.slice(2);
  const { access } = await rest(baseUrl, '/v1/auth/token', {
    method: 'POST',
    body: JSON.stringify({ username, password }),
  });
  const me = await rest(baseUrl, '/v1/accounts/me', { headers: { Authorization: `Bearer ${access}` } });
  const wsUrl = baseUrl.replace(/^http/, 'ws') + '/v1/ws';

  const timer = setTimeout(() => {
    print({ error: 'timed out waiting for order, trade and price events' });
    process.exit(1);
  }, TIMEOUT_MS);
  const client = new CheckedClient(access, me.account_id, wsUrl, () => {
    clearTimeout(timer);
    print({ done: true });
    client.close();
  });

  await client.connect();
  print({ authenticated: true, account_id: me.account_id });
  client.subscribeToOrders();
  client.subscribeToTrades();
  client.subscribeToMarketData(symbols.length ? symbols : ['AAPL/USDC', 'GOOGL/USDC']);
}

main().catch((error) => {
  print({ error: String(error && error.message ? error.message : error) });
  process.exit(1);
});
