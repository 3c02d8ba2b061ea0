// Credentials: a JWT pair kept fresh (refreshed before expiry; refresh tokens rotate), an API key, or the
// browser's logged-in session (the cookie authenticates the socket and same-origin REST calls).
import { ApiError, request } from "./rest.js";

/** Refresh once this share of the access token's lifetime has passed (15 min tokens: after 11 min 15 s). */
const REFRESH_AT_SHARE = 0.75;

export type Credentials =
  | { username: string; password: string }
  | { tokens: { access: string; refresh?: string }; username?: string; password?: string }
  | { apiKey: string }
  | { session: true };

export class AuthError extends Error {}

/** An answer that refuses the credentials themselves (anything else, e.g. a 503, is worth another try later). */
const refused = (error: unknown): boolean => error instanceof ApiError && [400, 401, 403].includes(error.status);

function tokenTimes(access: string): [number, number] {
  const payload = access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const claims = JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
  return [claims.iat ?? claims.exp - 60, claims.exp];
}

export class Auth {
  tokens: { access: string; refresh?: string } | null = null;
  refreshes = 0;
  private stale = false;
  private renewing: Promise<void> | null = null;

  constructor(readonly baseUrl: string, readonly credentials: Credentials) {
    if ("tokens" in credentials) this.tokens = { ...credentials.tokens };
  }

  /** The socket's auth message, or null when the session cookie authenticates it. */
  wsAuth(): Record<string, string> | null {
    if ("session" in this.credentials) return null;
    if ("apiKey" in this.credentials) return { type: "auth", api_key: this.credentials.apiKey };
    return { type: "auth", token: this.tokens!.access };
  }

  async authorization(): Promise<string | null> {
    if ("session" in this.credentials) return null;
    if ("apiKey" in this.credentials) return `ApiKey ${this.credentials.apiKey}`;
    await this.fresh();
    return `Bearer ${this.tokens!.access}`;
  }

  /** Milliseconds until the access token should be replaced; null when nothing expires. */
  refreshDueInMs(): number | null {
    if (!this.isJwt() || this.tokens === null) return null;
    if (this.stale) return 0;
    const [issued, expires] = tokenTimes(this.tokens.access);
    return (issued + (expires - issued) * REFRESH_AT_SHARE) * 1000 - Date.now();
  }

  /** The server refused the credentials: a JWT is renewed before the next use, anything else is final. */
  invalidate(): void {
    if (!this.isJwt()) throw new AuthError("the credentials were refused");
    this.stale = true;
  }

  async fresh(): Promise<void> {
    if (!this.isJwt()) return;
    if (this.tokens !== null && (this.refreshDueInMs() ?? 1) > 0) return;
    this.renewing ??= this.renew().finally(() => { this.renewing = null; });
    await this.renewing;
  }

  private isJwt(): boolean {
    return !("session" in this.credentials) && !("apiKey" in this.credentials);
  }

  private async renew(): Promise<void> {
    const { username, password } = this.credentials as { username?: string; password?: string };
    if (this.tokens?.refresh) {
      try {
        const answer = await request(this.baseUrl, "POST", "/v1/auth/token/refresh", { body: { refresh: this.tokens.refresh } });
        // The refresh token rotates: the answer carries a new one and the old one is used up.
        this.tokens = { access: answer.access, refresh: answer.refresh ?? this.tokens.refresh };
        this.refreshes += 1;
        this.stale = false;
        return;
      } catch (error) {
        if (!refused(error)) throw error; // the server is in trouble for a moment: the client tries again later
        if (password === undefined) throw new AuthError(`token refresh refused: ${(error as Error).message}`);
      }
    }
    if (username === undefined || password === undefined) {
      throw new AuthError("the access token expired and there is no refresh token or password to renew it");
    }
    try {
      const answer = await request(this.baseUrl, "POST", "/v1/auth/token", { body: { username, password } });
      this.tokens = { access: answer.access, refresh: answer.refresh };
      this.stale = false;
    } catch (error) {
      throw refused(error) ? new AuthError(`login refused: ${(error as Error).message}`) : error;
    }
  }
}
