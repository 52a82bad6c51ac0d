// The BFF client: every call has a timeout, every failure is an ApiError, a 401 signs in
// again once. A first visit is one exchange: without a token for this tab, the first view
// signs in and brings the view and the widget's words together (POST /bff/v1/session).
//
// Names ending in "_" are the widget's own: the build shortens them (build.go, MangleProps).
// Everything that crosses the wire or the page keeps its name.
import { full, words, type Lang, type Words } from "./i18n";
import { store, stored } from "./pending";
import type { Cart, CheckoutView, RedeemResult, Session, SessionAnswer, SignedIn } from "./types";

/** TIMEOUT bounds every call to the BFF and to the storefront's own cart. */
export const TIMEOUT = 5000;

export class ApiError extends Error {
  /** The HTTP status; 0 when no answer came. */
  declare status_: number;
  constructor(status: number, message: string) {
    super(message);
    this.status_ = status;
  }
}

/** What this tab keeps in sessionStorage (these short names are stored: never renamed). */
interface Stored {
  t: string; // BFF token
  s: string; // the storefront session it belongs to
  e: number; // expiry, ms since epoch
  u: string; // the shopper's UserId
  l: string; // the language of w
  w: Words; // the widget's words, from the BFF
}

/** retryable: a failure that says nothing final (no answer, the BFF or platform down or
 *  busy); a refusal (4xx) is final. */
export const retryable = (e: unknown): boolean => !(e instanceof ApiError) || [0, 401, 408, 429].includes(e.status_) || e.status_ > 499;

const is401 = (e: unknown): boolean => e instanceof ApiError && e.status_ === 401;

export interface Api {
  readonly tenant_: string;
  /** The signed-in shopper's UserId ("" before login). */
  user_: string;
  /** The widget's words: W.unavailable alone until the BFF's arrive with the session (or
   *  with the token kept for this tab); the same array throughout, filled in place. */
  readonly words_: Words;
  /** Signs in: reuses this tab's token while it is valid for the same storefront session;
   *  otherwise the next checkout_() signs in and brings the view in the same exchange. */
  login_(session: Session): void;
  /** The whole view for the cart; signs in first, in the same exchange, when there is no
   *  token (first visit) or the BFF no longer takes it. The cart's coupon goes too, so the
   *  BFF asks the platform what is applied only when the cart may hold a reward; restore asks
   *  it whatever the coupon (the reward's coupon may have left the cart while the shopper was
   *  away). */
  checkout_(cart: Cart, restore?: boolean): Promise<CheckoutView>;
  /** redeem_ takes a reward (or, redeemed, uses an already redeemed one by its RedeemedId) for
   *  the cart. The cart's value goes too, so the platform refuses a reward the cart no longer
   *  fits (the list may be older than the cart). */
  redeem_(redeemed: boolean, id: number, cart: Cart): Promise<RedeemResult>;
  /** reverse_ gives a redemption back; why (the shopper removed it, the store refused its
   *  coupon, the cart outgrew it, or an owed reversal is settled) is counted in the store's
   *  funnel. */
  reverse_(redeemedId: number, why: "removed" | "refused" | "outgrown" | "owed"): Promise<unknown>;
  /** note_ tells the BFF of a step only the page sees: the order of cart id was placed (so its
   *  copies of the shopper's view, on every replica, stop offering what the order used), or
   *  the store's cart holds the coupon (confirmed, with the coupon). Best effort: it survives
   *  the page going away (keepalive), and a failure changes nothing for the shopper. */
  note_(step: "order" | "applied", id: string, coupon?: string): void;
}

export function api(base: string, tenant: string, platform: string, lang: Lang): Api {
  let token = "";
  const w = words(lang);
  let session: Session | null = null;
  const key = "loyalty-widget:" + tenant;
  const creds = (s: Session) => ({ sessionToken: s.sessionToken, segmentToken: s.segmentToken });

  const save = (v: Stored | null): void => store(false, key, v);

  // A call: POST with a JSON body, else GET; keep: it survives the page going away.
  const send = async <T>(path: string, body?: object, auth?: boolean, keep?: boolean): Promise<T> => {
    const headers: Record<string, string> = { "X-Bq-Tenant": tenant };
    if (auth) headers["X-Bq-SecureToken"] = token;
    if (body) headers["Content-Type"] = "application/json";
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), TIMEOUT);
    let res: Response;
    let env: { HasError?: boolean; Message?: string | null; Item?: T } = {};
    try {
      res = await fetch(base + path, {
        method: body ? "POST" : "GET",
        headers,
        body: body && JSON.stringify(body),
        signal: ctrl.signal,
        keepalive: keep,
        mode: "cors",
        credentials: "omit",
      });
      env = await res.json().catch(() => ({}));
    } catch {
      throw new ApiError(0, "");
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || env.HasError || env.Item === undefined) throw new ApiError(res.status, env.Message || "");
    return env.Item;
  };

  const adopt = (item: SignedIn): void => {
    token = item.SecureToken;
    a.user_ = item.UserId || "";
    // Kept only with the whole set of words: with them, the next page of the tab needs no session.
    if (session && full(w)) save({ t: token, s: session.sessionToken, e: Date.parse(item.ExpiresAt || "") || Date.now() + 18e5, u: a.user_, l: lang, w });
  };

  const authed = async <T>(path: string, body: object): Promise<T> => {
    try {
      return await send<T>(path, body, true);
    } catch (e) {
      if (!is401(e) || !session) throw e;
      save(null);
      adopt(await send<SignedIn>(`/pub/widget/vendors/${encodeURIComponent(platform)}/securelogin`, creds(session)));
      return send<T>(path, body, true);
    }
  };

  const a: Api = {
    tenant_: tenant,
    user_: "",
    words_: w,
    login_(s) {
      session = s;
      const st: Stored | null = stored(false, key);
      const ok = st && typeof st.t === "string" && st.s === s.sessionToken && st.u && st.e - Date.now() > 6e4 && st.l === lang && full(st.w);
      token = ok ? st!.t : "";
      a.user_ = ok ? st!.u : "";
      if (ok) Object.assign(w, st!.w);
    },
    async checkout_(cart, restore) {
      // lang is one of pt-BR, en and es: nothing to escape.
      const q =
        `?purchaseValue=${cart.value.toFixed(2)}&checkoutCode=${encodeURIComponent(cart.id)}&lang=${lang}` +
        (restore ? "" : "&coupon=" + encodeURIComponent(cart.coupon || ""));
      if (token || !session) {
        try {
          return await send<CheckoutView>("/bff/v1/checkout" + q, undefined, true);
        } catch (e) {
          if (!is401(e) || !session) throw e;
          save(null);
        }
      }
      const item = await send<SessionAnswer>("/bff/v1/session" + q, { platform, ...creds(session!) });
      // Without its words the widget cannot speak: such an answer (a BFF of another version,
      // mid-deploy) is a failure, and the shopper reads the bundle's one sentence.
      if (!full(item.Words)) throw new ApiError(502, "");
      Object.assign(w, item.Words);
      adopt(item.Session);
      const p = item.ViewError;
      if (!item.View) throw new ApiError(p ? p.Status : 502, p ? p.Message : "");
      return item.View;
    },
    redeem_: (redeemed, id, cart) =>
      authed(`/pub/widget/${redeemed ? "rewardredeemed/checkout" : "rewards"}/redeem/${id}?purchaseValue=${cart.value.toFixed(2)}&lang=${lang}`, { OriginalId: cart.id }),
    reverse_: (id, why) => authed(`/pub/widget/rewards/checkout/${id}/reverse?lang=${lang}&why=${why}`, {}),
    note_(step, id, coupon) {
      if (token) send("/bff/v1/" + step, { CheckoutCode: id, CouponCode: coupon }, true, true).catch(() => {});
    },
  };
  return a;
}
