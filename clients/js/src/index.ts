export { CantonDexClient, RequestError, type ClientOptions, type SubscribeOptions } from "./client.js";
export { Auth, AuthError, type Credentials } from "./auth.js";
export { ApiError, orderBody, Rest, request, type Filters, type OrderRequest, type Page } from "./rest.js";
export { exact, parseMessage, stringifyMessage, type Decimal } from "./json.js";
export type * from "./events.js";
