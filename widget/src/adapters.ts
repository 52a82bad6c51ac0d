// Storefront adapters: one interface (types.ts Adapter) over VTEX, a plain DOM cart page
// (Magazord and other themes) and an integrator's own callbacks.
import type { Adapter, Cart, CouponOutcome, CustomAdapter, DomOptions, Session } from "./types";

/** STORE_TIMEOUT bounds every call to the storefront's own cart. */
const STORE_TIMEOUT = 5000;
/** FIELD_SETTLE is how long a theme with only a coupon field gets to refuse a code. */
const FIELD_SETTLE = 1500;

export function withTimeout<T>(p: PromiseLike<T> | T, ms = STORE_TIMEOUT): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    Promise.resolve(p).then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** sameCoupon compares codes as stores do: case and surrounding spaces do not count. */
export function sameCoupon(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.trim().toUpperCase() === b.trim().toUpperCase();
}

export function readCookie(name: string): string | null {
  for (const part of document.cookie ? document.cookie.split("; ") : []) {
    const i = part.indexOf("=");
    if (part.slice(0, i) === name) {
      try {
        return decodeURIComponent(part.slice(i + 1));
      } catch {
        return part.slice(i + 1);
      }
    }
  }
  return null;
}

// ---- VTEX -------------------------------------------------------------------------------

interface OrderForm {
  orderFormId: string;
  value: number;
  totalizers?: { id: string; value: number }[];
  marketingData?: { coupon?: string | null } | null;
  messages?: { code?: string; text?: string; status?: string }[] | null;
}

/** storeMessage is what VTEX said about a call (its messages[]: errors and warnings first). */
function storeMessage(of: OrderForm | null | undefined): string | undefined {
  const msgs = (of && of.messages) || [];
  const worst = msgs.filter((m) => m && m.text && (m.status === "error" || m.status === "warning"));
  const text = (worst.length ? worst : msgs).map((m) => (m && m.text ? m.text.trim() : "")).filter(Boolean).join(" ");
  return text || undefined;
}

interface VtexCheckout {
  getOrderForm(sections?: string[]): PromiseLike<OrderForm>;
  addDiscountCoupon(code: string): PromiseLike<OrderForm>;
  removeDiscountCoupon(): PromiseLike<OrderForm>;
}

type Handler = (ev: unknown, of?: OrderForm) => void;

interface VtexWindow {
  vtexjs?: { Checkout?: new () => VtexCheckout };
  jQuery?: (el: unknown) => { on(ev: string, h: Handler): void; off(ev: string, h: Handler): void };
}

const VTEX_EVENT = "orderFormUpdated.vtex";

/** cartOf reads VTEX's orderForm: the purchase value is the Items totalizer, in cents. */
function cartOf(of: OrderForm | null | undefined): Cart | null {
  if (!of || !of.orderFormId) return null;
  const items = (of.totalizers || []).find((t) => t.id === "Items");
  return { id: of.orderFormId, value: (items ? items.value : 0) / 100, coupon: (of.marketingData && of.marketingData.coupon) || null };
}

/**
 * vtexAdapter reads the session from the vtex_session / vtex_segment cookies and the cart from
 * the REST checkout API (a fresh read that broadcasts nothing: vtex.js answers getOrderForm
 * from its cache, and every vtex.js call tells the whole checkout). Coupons go through the
 * widget's own vtex.js instance (so the checkout's screen follows and the store's own calls are
 * not aborted), or the REST API without vtex.js. Amounts in the orderForm are cents.
 */
export function vtexAdapter(): Adapter {
  const w = window as unknown as VtexWindow;
  const Checkout = w.vtexjs && w.vtexjs.Checkout;
  const checkout: VtexCheckout | null = typeof Checkout === "function" ? new Checkout() : null;
  let orderFormId = "";
  let seen = ""; // the cart as the widget last read it: an event about the same cart is not a change

  const rest = async (path: string, body?: unknown): Promise<OrderForm> => {
    const res = await fetch("/api/checkout/pub/orderForm" + path, {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error("orderForm " + res.status);
    return res.json();
  };
  // vtex.js broadcasts orderFormUpdated.vtex after its requests, before resolving them: events
  // raised while our own call runs are ours, not a cart change.
  let own = 0;
  // A new vtex.js instance knows no cart (the checkout cookie is HttpOnly) until its first
  // getOrderForm, which later answers from its cache.
  const call = async (path: string, body?: unknown, js?: (c: VtexCheckout) => PromiseLike<OrderForm>): Promise<OrderForm> => {
    own++;
    try {
      const of = await withTimeout(checkout && js ? checkout.getOrderForm(["items"]).then(() => js(checkout)) : rest(path && `/${orderFormId}${path}`, body));
      const c = cartOf(of);
      if (c) {
        orderFormId = c.id;
        seen = JSON.stringify(c);
      }
      return of;
    } finally {
      own--;
    }
  };

  return {
    async session(): Promise<Session | null> {
      const sessionToken = readCookie("vtex_session");
      const segmentToken = readCookie("vtex_segment");
      return sessionToken && segmentToken ? { sessionToken, segmentToken } : null;
    },
    async cart(): Promise<Cart | null> {
      return cartOf(await call(""));
    },
    async applyCoupon(code: string): Promise<CouponOutcome> {
      // VTEX answers 200 even when it refuses a coupon: only the orderForm it returns says
      // whether the coupon is in (marketingData.coupon), and messages[] says why not.
      const of = await call("/coupons", { text: code }, (c) => c.addDiscountCoupon(code));
      if (sameCoupon(of && of.marketingData && of.marketingData.coupon, code)) return { applied: true };
      return { applied: false, message: storeMessage(of) };
    },
    async removeCoupon(): Promise<void> {
      await call("/coupons", { text: "" }, (c) => c.removeDiscountCoupon());
    },
    onChange(cb: () => void): () => void {
      // vtex.js triggers jQuery events on window, with the orderForm. Neither our own calls nor
      // news of the cart we already read are a change: no loop with the checkout.
      const h: Handler = (_ev, of) => {
        const c = cartOf(of);
        if (!own && !(c && JSON.stringify(c) === seen)) cb();
      };
      const $ = w.jQuery;
      if (typeof $ !== "function") return () => {};
      $(window).on(VTEX_EVENT, h);
      return () => $(window).off(VTEX_EVENT, h);
    },
    locale() {
      // vtex_segment is base64 JSON: {"currencyCode":"BRL","cultureInfo":"pt-BR",...}
      try {
        const seg = JSON.parse(atob(readCookie("vtex_segment") || ""));
        return { locale: seg.cultureInfo, currency: seg.currencyCode };
      } catch {
        return {};
      }
    },
  };
}

// ---- DOM (Magazord and other themes without a script API) --------------------------------

/** parseMoney reads "R$ 1.234,56", "$1,234.56" or "1234.5" as a number; NaN when unreadable. */
export function parseMoney(text: string): number {
  const s = text.replace(/[^\d.,-]/g, "").replace(/[.,-]+$/, "");
  const lastSep = Math.max(s.lastIndexOf(","), s.lastIndexOf("."));
  if (lastSep >= 0 && s.length - lastSep - 1 <= 2) {
    return parseFloat(s.slice(0, lastSep).replace(/[.,]/g, "") + "." + s.slice(lastSep + 1));
  }
  return parseFloat(s.replace(/[.,]/g, ""));
}

function cartIdFor(tenant: string): string {
  const key = "loyalty-widget:cart:" + tenant;
  try {
    let id = localStorage.getItem(key);
    if (!id) {
      id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
      localStorage.setItem(key, id);
    }
    return id;
  } catch {
    return "c" + Date.now().toString(36);
  }
}

interface ZordWindow {
  Zord?: { checkout?: { addCupomDesconto?(): void; removeCupomDesconto?(): void } };
}

/**
 * domAdapter works with the theme's own cart page: it reads the subtotal from the page and
 * fills the coupon field and presses its button, through selectors the store gives. On
 * Magazord, without a button selector, it calls the theme's own Zord.checkout.addCupomDesconto()
 * (and removeCupomDesconto()), which read the same field.
 */
export function domAdapter(o: DomOptions, tenant: string): Adapter {
  const $ = (sel?: string) => (sel ? document.querySelector(sel) : null);
  const zord = () => {
    const z = (window as unknown as ZordWindow).Zord;
    return (z && z.checkout) || {};
  };
  const coupon = (): string => {
    const applied = $(o.couponApplied);
    const input = $(o.couponInput) as HTMLInputElement | null;
    return ((applied ? applied.textContent : input && input.value) || "").trim();
  };
  const message = (): string => {
    const el = $(o.couponMessage);
    return ((el && el.textContent) || "").trim();
  };
  // The theme applies the coupon on its own time: wait (bounded) until the page shows it.
  const until = (done: () => boolean, ms = STORE_TIMEOUT): Promise<void> =>
    new Promise((resolve) => {
      const start = Date.now();
      const tick = () => (done() || Date.now() - start > ms ? resolve() : setTimeout(tick, 100));
      tick();
    });
  const setInput = (code: string) => {
    const input = $(o.couponInput) as HTMLInputElement | null;
    const button = $(o.couponButton) as HTMLElement | null;
    const add = zord().addCupomDesconto;
    if (!input || !(button || add)) throw new Error("coupon field not found");
    // The native setter, so that frameworks watching the field see the change.
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
    if (setter && setter.set) setter.set.call(input, code);
    else input.value = code;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    if (button) button.click();
    else add!.call(zord());
  };
  return {
    async session() {
      const s = o.sessionToken || (o.sessionCookie && readCookie(o.sessionCookie));
      const g = o.segmentToken || (o.segmentCookie && readCookie(o.segmentCookie)) || s;
      return s && g ? { sessionToken: s, segmentToken: g } : null;
    },
    async cart() {
      const el = $(o.subtotal);
      const value = el ? parseMoney(el.textContent || "") : NaN;
      if (!isFinite(value)) return null;
      return { id: o.cartId || cartIdFor(tenant), value, coupon: coupon() || null };
    },
    async applyCoupon(code: string): Promise<CouponOutcome> {
      // The theme answers on the page: the applied-coupon element (or the field) shows the
      // code once it is in; its message element says why not. Wait for either, bounded.
      const before = message();
      setInput(code);
      const said = () => message() !== "" && message() !== before;
      if (o.couponApplied) {
        await until(() => sameCoupon(coupon(), code) || said());
      } else {
        // Only the field to go by: a theme that refuses clears it or writes a message.
        await until(() => said() || !sameCoupon(coupon(), code), FIELD_SETTLE);
      }
      if (sameCoupon(coupon(), code) && (o.couponApplied || !said())) return { applied: true };
      return { applied: false, message: message() || undefined };
    },
    async removeCoupon(code: string) {
      const rm = $(o.couponRemove) as HTMLElement | null;
      const z = zord();
      if (rm) rm.click();
      else if (!o.couponButton && z.removeCupomDesconto) z.removeCupomDesconto();
      else setInput("");
      if (o.couponApplied) await until(() => !sameCoupon(coupon(), code));
    },
    onChange(cb: () => void) {
      // Themes re-render their cart (Magazord replaces it after every AJAX call), so the whole
      // page is watched and only a different subtotal or coupon counts as a change.
      if (typeof MutationObserver === "undefined") return () => {};
      const now = () => ($(o.subtotal) || { textContent: "" }).textContent + "|" + coupon();
      let last = now();
      const mo = new MutationObserver(() => {
        const n = now();
        if (n !== last) {
          last = n;
          cb();
        }
      });
      mo.observe(document.body, { childList: true, characterData: true, subtree: true });
      return () => mo.disconnect();
    },
  };
}

// ---- custom --------------------------------------------------------------------------------

/** customAdapter wraps an integrator's callbacks, each bounded by the same timeout. */
export function customAdapter(c: CustomAdapter): Adapter {
  return {
    session: () => withTimeout(c.session()),
    cart: () => withTimeout(c.cart()),
    async applyCoupon(code: string): Promise<CouponOutcome> {
      // The integrator's promise says the call went through; the cart says whether the coupon
      // is in. A rejection's message is the store's explanation.
      let message: string | undefined;
      try {
        await withTimeout(c.applyCoupon(code));
      } catch (e) {
        message = e instanceof Error && e.message && e.message !== "timeout" ? e.message : undefined;
      }
      const cart = await withTimeout(c.cart());
      return sameCoupon(cart && cart.coupon, code) ? { applied: true } : { applied: false, message };
    },
    removeCoupon: (code) => withTimeout(c.removeCoupon(code)),
    onChange(cb) {
      const off = c.onChange ? c.onChange(cb) : undefined;
      return typeof off === "function" ? off : () => {};
    },
  };
}
