// The seed's (004) JavaScript `WebSocketClient` class, exactly as the auction API guide gives it, run under
// Node with the pinned `ws` package as its WebSocket. Its URL and token are its constructor's arguments and
// the auction id goes in `subscribe`'s options, so the class itself needed no change at all.
//
//   node seed_auction_client.js ws://127.0.0.1:8000/v1/ws ACCESS_TOKEN AUCTION_ID
//
// It subscribes to the auction's `auction` and `bids` channels and prints every message it receives as one
// JSON line ({"received": ...}); the class's own 'Connected' / 'Disconnected, reconnecting...' logs come out
// as plain lines. The class answers no JSON ping (it has no message handler at all), so it relies on the
// WebSocket's protocol pings, which `ws` answers (README, Heartbeat). It runs until it is stopped.

global.WebSocket = require('ws'); // the guide's class uses the browser's WebSocket global

class WebSocketClient {
    constructor(url, token) {
        this.url = url;
        this.token = token;
        this.reconnectInterval = 1000;
        this.maxReconnectInterval = 30000;
        this.reconnectAttempts = 0;
        this.subscriptions = new Map();
        
        this.connect();
    }
    
    connect() {
        this.ws = new WebSocket(this.url);
        
        this.ws.onopen = () => {
            console.log('Connected');
            this.reconnectAttempts = 0;
            this.reconnectInterval = 1000;
            
            // Authenticate
            this.authenticate();
            
            // Resubscribe to channels
            this.resubscribe();
        };
        
        this.ws.onclose = () => {
            console.log('Disconnected, reconnecting...');
            this.scheduleReconnect();
        };
        
        this.ws.onerror = (error) => {
            console.error('WebSocket error:', error);
            this.ws.close();
        };
    }
    
    scheduleReconnect() {
        setTimeout(() => {
            this.reconnectAttempts++;
            this.connect();
        }, Math.min(this.reconnectInterval * Math.pow(2, this.reconnectAttempts), 
                   this.maxReconnectInterval));
    }
    
    authenticate() {
        this.send({
            type: 'auth',
            token: `Bearer ${this.token}`
        });
    }
    
    resubscribe() {
        for (const [key, subscription] of this.subscriptions) {
            this.send(subscription);
        }
    }
    
    subscribe(channel, options) {
        const subscription = {
            type: 'subscribe',
            channel: channel,
            ...options
        };
        
        const key = `${channel}:${options.auction_id || 'global'}`;
        this.subscriptions.set(key, subscription);
        
        if (this.ws.readyState === WebSocket.OPEN) {
            this.send(subscription);
        }
    }
    
    send(data) {
        if (this.ws.readyState === WebSocket.OPEN) {
            this.ws.send(JSON.stringify(data));
        }
    }
}

// The harness around the seed's class (the guide leaves message handling to its user).

const [url, token, auctionId] = process.argv.slice(2);

class PrintingClient extends WebSocketClient {
  connect() {
    super.connect();
    this.ws.onmessage = (event) => console.log(JSON.stringify({ received: JSON.parse(event.data) }));
  }
}

const client = new PrintingClient(url, token);
client.subscribe('auction', { auction_id: auctionId });
client.subscribe('bids', { auction_id: auctionId });
