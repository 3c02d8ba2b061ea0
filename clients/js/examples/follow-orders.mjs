// Log in, place an order over REST and print its events as they come, across reconnects (restart the server to see).
//   npm ci && npm run build && node examples/follow-orders.mjs http://127.0.0.1:8000 alice PASSWORD
import { CantonDexClient } from "../dist/index.js";

const [baseUrl, username, password] = process.argv.slice(2);
let order = null;
const print = (line) => console.log(JSON.stringify(line));
const client = new CantonDexClient({
  baseUrl,
  credentials: { username, password },
  onEvent: (event) => print({ event }), // decimals arrive as exact strings: "150.25"
  onNotice: async (notice) => {
    print({ notice }); // connected, disconnected, subscribed, resync, error
    if (notice.kind === "subscribed" && order === null) {
      order = await client.rest.placeOrder({ symbol: "AAPL/USDC", side: "buy", quantity: "1", price: "150.25" });
      print({ placed: order.order_id });
    }
  },
});
client.subscribe("orders");
await client.start();
