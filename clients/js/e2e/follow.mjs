// Driven by tests/clients/test_js_sdk.py against real daphne: follows `orders` with the given credentials
// (JSON in FOLLOW_CREDENTIALS) and prints every event and notice as a JSON line with the client's counters.
import { CantonDexClient } from "../dist/index.js";

const client = new CantonDexClient({
  baseUrl: process.argv[2],
  credentials: JSON.parse(process.env.FOLLOW_CREDENTIALS),
  heartbeatMs: 1000, backoffInitialMs: 50, backoffMaxMs: 500,
  onEvent: (event) => print({ event }),
  onNotice: (notice) => print({ notice }),
});
const print = (line) => console.log(JSON.stringify({ ...line, refreshes: client.auth.refreshes, connections: client.connections }));
client.subscribe("orders");
await client.start();
