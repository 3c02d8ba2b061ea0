// One load-client worker of the fan-out benchmark (driven by bench/loadclient.py).
//
// argv[2] is a JSON config: {url, clients: [{token, accountStream}], symbol, concurrency, connectTimeoutMs}, and
// optionally {subscriptions: [subscribe items], eventType}: what every client follows instead of the symbol's
// market data, and the event type that is counted (its latency from payload.timestamp, the server's time of
// the event, in milliseconds, instead of the bench publisher's sent_at_ms).
// Commands arrive as JSON lines on stdin; every answer is one JSON line on stdout:
//   {"cmd": "connect"}                          -> {"event": "connected", ...}
//   {"cmd": "expect", "count": K, "timeoutMs"}  -> {"event": "expecting"} at once (counters reset; publish now),
//                                                  then {"event": "received", ...} once every open client
//                                                  has K market events (or at the timeout)
//   {"cmd": "hold", "ms": M}                    -> {"event": "held", ...} after M ms of answering pings
//   {"cmd": "close"}                            -> closes every socket and exits
// Compression is off (perMessageDeflate: false): daphne does not compress either.
"use strict";

const WebSocket = require("ws");
const { performance } = require("perf_hooks");
const readline = require("readline");

const config = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const nowMs = () => performance.timeOrigin + performance.now();
const EVENT_TYPE = config.eventType || "price_update";

class Client {
  constructor(spec) {
    this.spec = spec;
    this.ws = null;
    this.open = false;
    this.subscribed = false;
    this.pendingResponses = 0;
    this.lastSequence = 0;
    this.gaps = 0;
    this.received = 0;
    this.pongs = 0;
    this.closedCode = null;
  }

  connect() {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (error) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve(error);
        }
      };
      const timer = setTimeout(() => finish("timeout"), config.connectTimeoutMs);
      const ws = new WebSocket(config.url, { perMessageDeflate: false, handshakeTimeout: config.connectTimeoutMs });
      this.ws = ws;
      ws.on("open", () => {
        this.open = true;
        ws.send(JSON.stringify({ type: "auth", token: this.spec.token }));
      });
      ws.on("message", (data) => {
        const message = JSON.parse(data.toString());
        switch (message.type) {
          case EVENT_TYPE:
            this.onEvent(message);
            break;
          case "auth_response":
            if (message.status !== "authenticated") return finish("auth failed");
            this.subscribe();
            break;
          case "subscription_response":
            if (--this.pendingResponses === 0) {
              this.subscribed = true;
              finish(null);
            }
            break;
          case "ping":
            this.pongs += 1;
            ws.send('{"type":"pong"}');
            break;
          case "error":
            if (!this.subscribed) finish(`error ${message.code}`);
            break;
        }
      });
      ws.on("error", (error) => finish(String(error.code || error.message)));
      ws.on("close", (code) => {
        this.open = false;
        this.closedCode = code;
        finish(`closed ${code}`);
      });
    });
  }

  subscribe() {
    const channels = config.subscriptions ? [...config.subscriptions] : [{ channel: "market_data", symbols: [config.symbol] }];
    if (this.spec.accountStream) channels.push({ channel: "orders" });
    this.pendingResponses = channels.length;
    this.ws.send(JSON.stringify({ type: "subscribe", channels }));
  }

  onEvent(message) {
    if (message.snapshot) return;
    if (this.lastSequence && message.sequence !== this.lastSequence + 1) this.gaps += 1;
    this.lastSequence = message.sequence;
    this.received += 1;
    const sentAtMs = config.eventType ? Date.parse(message.payload.timestamp) : message.sent_at_ms;
    phase.onDelivery(this, nowMs() - sentAtMs);
  }
}

// The measurement in progress: counts deliveries and keeps each one's latency.
const phase = {
  expected: 0,
  latencies: [],
  firstAt: 0,
  lastAt: 0,
  complete: 0,
  target: 0,
  done: null,
  onDelivery(client, latencyMs) {
    const at = nowMs();
    if (!this.firstAt) this.firstAt = at;
    this.lastAt = at;
    this.latencies.push(latencyMs);
    if (this.expected && client.received === this.expected) {
      this.complete += 1;
      if (this.complete === this.target && this.done) this.done();
    }
  },
};

const clients = config.clients.map((spec) => new Client(spec));
const openClients = () => clients.filter((c) => c.open && c.subscribed);

function reply(event, fields) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

function cpuMs(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function connectAll() {
  const cpuStart = process.cpuUsage();
  const start = nowMs();
  const errors = {};
  let next = 0;
  let failed = 0;
  async function lane() {
    while (next < clients.length) {
      const client = clients[next++];
      const error = await client.connect();
      if (error) {
        failed += 1;
        errors[error] = (errors[error] || 0) + 1;
      }
    }
  }
  const lanes = Math.min(config.concurrency, clients.length);
  await Promise.all(Array.from({ length: lanes }, lane));
  const wallMs = nowMs() - start;
  reply("connected", { ok: clients.length - failed, failed, errors, startMs: start, wallMs, cpuMs: cpuMs(cpuStart) });
}

function expect(count, timeoutMs) {
  const cpuStart = process.cpuUsage();
  const start = nowMs();
  for (const client of clients) client.received = 0;
  Object.assign(phase, { expected: count, latencies: [], firstAt: 0, lastAt: 0, complete: 0, target: openClients().length });
  const gapsBefore = clients.reduce((sum, c) => sum + c.gaps, 0);
  let timer = null;
  const finish = () => {
    clearTimeout(timer);
    phase.done = null;
    const open = openClients();
    reply("received", {
      clients: open.length,
      complete: open.filter((c) => c.received >= count).length,
      received: open.reduce((sum, c) => sum + c.received, 0),
      gaps: clients.reduce((sum, c) => sum + c.gaps, 0) - gapsBefore,
      firstAt: phase.firstAt,
      lastAt: phase.lastAt,
      latencies: phase.latencies,
      wallMs: nowMs() - start,
      cpuMs: cpuMs(cpuStart),
    });
  };
  phase.done = finish;
  timer = setTimeout(finish, timeoutMs);
  reply("expecting", { clients: phase.target });
}

function hold(ms) {
  const cpuStart = process.cpuUsage();
  const pongsBefore = clients.reduce((sum, c) => sum + c.pongs, 0);
  setTimeout(() => {
    const closed = {};
    for (const c of clients.filter((c) => !c.open && c.closedCode !== null)) closed[c.closedCode] = (closed[c.closedCode] || 0) + 1;
    reply("held", {
      open: openClients().length,
      pongs: clients.reduce((sum, c) => sum + c.pongs, 0) - pongsBefore,
      closed,
      wallMs: ms,
      cpuMs: cpuMs(cpuStart),
    });
  }, ms);
}

function closeAll() {
  for (const client of clients) if (client.ws) client.ws.terminate();
  setTimeout(() => process.exit(0), 100);
}

const commands = readline.createInterface({ input: process.stdin });
commands.on("line", (line) => {
  const command = JSON.parse(line);
  if (command.cmd === "connect") connectAll();
  else if (command.cmd === "expect") expect(command.count, command.timeoutMs);
  else if (command.cmd === "hold") hold(command.ms);
  else if (command.cmd === "close") closeAll();
});
commands.on("close", closeAll); // the bench went away: do not linger
reply("ready", { clients: clients.length });
