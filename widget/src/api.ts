// The BFF client: every call has a timeout, every failure is an ApiError, a 401 signs in
// again once. A first visit is one exchange: without a token for this tab, the first view
// signs in and brings the view together (POST /bff/v1/session).
import type { CheckoutView, Problem, RedeemResult, Session } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The sign-in's Item: the BFF's token and who it is for. */
interface SignedIn {
  SecureToken: string;
  ExpiresAt?: string;
  UserId?: string;
}

interface Stored {
  t: string; // BFF token
  s: string; // the storefront session it belongs to
  e: number; // expiry, ms since epoch
  u: string; // the shopper's UserId
}

/** retryable: a failure that says nothing final (no answer, the BFF or platform down or
 *  busy); a refusal (4xx) is final. */
export function retryable(e: unknown): boolean {
  return !(e instanceof ApiError) || e.status === 0 || e.status === 401 || e.status === 408 || e.status === 429 || e.status >= 500;
}

export class Api {
  private token = "";
  private session: Session | null = null;
  /** The signed-in shopper's UserId ("" before login). */
  user = "";

  constructor(
    private readonly base: string,
    readonly tenant: string,
    private readonly platform: string,
    private readonly lang: string,
    private readonly timeoutMs = 5000,
  ) {}

  /** Signs in: reuses this tab's token while it is valid for the same storefront session;
   *  otherwise the next checkout() signs in and brings the view in the same exchange. */
  async login(session: Session): Promise<void> {
    this.session = session;
    const stored = this.load();
    if (stored && stored.s === session.sessionToken && stored.u && stored.e - Date.now() > 60_000) {
      this.token = stored.t;
      this.user = stored.u;
      return;
    }
    this.token = "";
    this.user = "";
  }

  private async freshLogin(): Promise<void> {
    const s = this.session;
    if (!s) throw new ApiError(401, "unauthorized", "no session");
    this.adopt(
      await this.send<SignedIn>(
        "POST",
        `/pub/widget/vendors/${encodeURIComponent(this.platform)}/securelogin`,
        { sessionToken: s.sessionToken, segmentToken: s.segmentToken },
        false,
      ),
    );
  }

  private adopt(item: SignedIn): void {
    const s = this.session;
    this.token = item.SecureToken;
    this.user = item.UserId || "";
    const exp = Date.parse(item.ExpiresAt || "") || Date.now() + 30 * 60_000;
    if (s) this.save({ t: this.token, s: s.sessionToken, e: exp, u: this.user });
  }

  /** The whole view for the cart; signs in first, in the same exchange, when there is no
   *  token (first visit) or the BFF no longer takes it. */
  async checkout(purchaseValue: number, cartId: string): Promise<CheckoutView> {
    const q = `purchaseValue=${purchaseValue.toFixed(2)}&checkoutCode=${encodeURIComponent(cartId)}&lang=${encodeURIComponent(this.lang)}`;
    if (this.token || !this.session) {
      try {
        return await this.send<CheckoutView>("GET", `/bff/v1/checkout?${q}`, undefined, true);
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 401 || !this.session) throw e;
        this.save(null);
      }
    }
    const s = this.session as Session;
    const item = await this.send<{ Session: SignedIn; View: CheckoutView | null; ViewError: Problem | null }>(
      "POST",
      `/bff/v1/session?${q}`,
      { platform: this.platform, sessionToken: s.sessionToken, segmentToken: s.segmentToken },
      false,
    );
    this.adopt(item.Session);
    if (!item.View) {
      const p = item.ViewError;
      throw new ApiError(p ? p.Status : 502, p ? p.ErrorCode : "error", p ? p.Message : "");
    }
    return item.View;
  }

  /** redeem sends the cart's value too, so the platform refuses a reward the cart no longer
   *  fits (the list may be older than the cart). */
  redeem(rewardId: number, cartId: string, purchaseValue: number): Promise<RedeemResult> {
    return this.authed("POST", `/pub/widget/rewards/redeem/${rewardId}?purchaseValue=${purchaseValue.toFixed(2)}&lang=${this.lang}`, { OriginalId: cartId });
  }

  useRedeemed(redeemedId: number, cartId: string, purchaseValue: number): Promise<RedeemResult> {
    return this.authed("POST", `/pub/widget/rewardredeemed/checkout/redeem/${redeemedId}?purchaseValue=${purchaseValue.toFixed(2)}&lang=${this.lang}`, { OriginalId: cartId });
  }

  reverse(redeemedId: number): Promise<unknown> {
    return this.authed("POST", `/pub/widget/rewards/checkout/${redeemedId}/reverse?lang=${this.lang}`, {});
  }

  private async authed<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this.send<T>(method, path, body, true);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401 || !this.session) throw e;
      this.save(null);
      await this.freshLogin();
      return this.send<T>(method, path, body, true);
    }
  }

  private async send<T>(method: string, path: string, body: unknown, auth: boolean): Promise<T> {
    const headers: Record<string, string> = { "X-Bq-Tenant": this.tenant };
    if (auth) headers["X-Bq-SecureToken"] = this.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    let res: Response;
    let env: { HasError?: boolean; Message?: string | null; ErrorCode?: string; Item?: T } = {};
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctrl.signal,
        mode: "cors",
        credentials: "omit",
      });
      env = await res.json().catch(() => ({}));
    } catch {
      throw new ApiError(0, "network", "network");
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || env.HasError || env.Item === undefined) {
      throw new ApiError(res.status, env.ErrorCode || "error", env.Message || "");
    }
    return env.Item as T;
  }

  private key(): string {
    return "loyalty-widget:" + this.tenant;
  }

  private load(): Stored | null {
    try {
      const v = JSON.parse(sessionStorage.getItem(this.key()) || "null");
      return v && typeof v.t === "string" ? v : null;
    } catch {
      return null;
    }
  }

  private save(v: Stored | null): void {
    try {
      if (v) sessionStorage.setItem(this.key(), JSON.stringify(v));
      else sessionStorage.removeItem(this.key());
    } catch {
      // storage unavailable (private mode): the token lives in memory only
    }
  }
}
