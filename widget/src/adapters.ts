// Storefront adapters: one interface (types.ts Adapter) over VTEX, a plain DOM cart page
// (Magazord and other themes) and an integrator's own callbacks.
import { TIMEOUT } from "./api";
import type { Adapter, Cart, CustomAdapter, DomOptions, Outcome, Session } from "./types";

/** withTimeout bounds a call to the storefront (TIMEOUT unless told). */
export const withTimeout = <T>(p: PromiseLike<T> | T, ms = TIMEOUT): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(reject, ms, new Error("timeout")))]);

/** sameCoupon compares codes as stores do: case and surrounding spaces do not count. */
export const sameCoupon = (a: string | null | undefined, b: string | null | undefined): boolean =>
  !!a && !!b && a.trim().toUpperCase() === b.trim().toUpperCase();

export function readCookie(name: string): string | null {
  for (const part of document.cookie.split("; ")) {
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

/** The storefront session of two tokens, when both are there. */
const session = (sessionToken: string | null | undefined, segmentToken: string | null | undefined): Session | null =>
  sessionToken && segmentToken ? { sessionToken, segmentToken } : null;

// ---- VTEX -------------------------------------------------------------------------------

interface OrderForm {
  orderFormId: string;
  value: number;
  totalizers?: { id: string; value: number }[];
  marketingData?: { coupon?: string | null } | null;
  messages?: ({ code?: string; text?: string; status?: string } | null)[] | null;
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
const cartOf = (of: OrderForm | null | undefined): Cart | null =>
  of && of.orderFormId
    ? { id: of.orderFormId, value: (of.totalizers?.find((t) => t.id === "Items")?.value || 0) / 100, coupon: of.marketingData?.coupon || null }
    : null;

/**
 * vtexAdapter reads the session from the vtex_session / vtex_segment cookies and the cart from
 * the REST checkout API (a fresh read that broadcasts nothing: vtex.js answers getOrderForm
 * from its cache, and every vtex.js call tells the whole checkout). Coupons go through the
 * widget's own vtex.js instance (so the checkout's screen follows and the store's own calls are
 * not aborted), or the REST API without vtex.js. Amounts in the orderForm are cents.
 */
export function vtexAdapter(): Adapter {
  const w = window as unknown as VtexWindow;
  const Checkout = w.vtexjs?.Checkout;
  const checkout: VtexCheckout | null = typeof Checkout === "function" ? new Checkout() : null;
  let orderFormId = "";
  let seen = ""; // the cart as the widget last read it: an event about the same cart is not a change
  // vtex.js broadcasts orderFormUpdated.vtex after its requests, before resolving them: events
  // raised while our own call runs are ours, not a cart change.
  let own = 0;
  // A call on the cart: the REST API (path under the orderForm, a POST with a body), or, for
  // coupons with vtex.js there, js. A new vtex.js instance knows no cart (the checkout cookie
  // is HttpOnly) until its first getOrderForm, which later answers from its cache.
  const call = async (path = "", body?: object, js?: (c: VtexCheckout) => PromiseLike<OrderForm>): Promise<OrderForm> => {
    own++;
    try {
      const of = await withTimeout(
        checkout && js
          ? checkout.getOrderForm(["items"]).then(() => js(checkout))
          : fetch("/api/checkout/pub/orderForm" + (path && `/${orderFormId}${path}`), {
              method: body ? "POST" : "GET",
              credentials: "same-origin",
              headers: { Accept: "application/json", "Content-Type": "application/json" },
              body: body && JSON.stringify(body),
            }).then((res) => {
              if (!res.ok) throw new Error("orderForm " + res.status);
              return res.json() as Promise<OrderForm>;
            }),
      );
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
    session_: async () => session(readCookie("vtex_session"), readCookie("vtex_segment")),
    cart_: async () => cartOf(await call()),
    async apply_(code) {
      // VTEX answers 200 even when it refuses a coupon: only the orderForm it returns says
      // whether the coupon is in (marketingData.coupon), and messages[] says why not (errors
      // and warnings first).
      const of = await call("/coupons", { text: code }, (c) => c.addDiscountCoupon(code));
      if (sameCoupon(of?.marketingData?.coupon, code)) return true;
      const msgs = of?.messages || [];
      const worst = msgs.filter((m) => m?.text && (m.status === "error" || m.status === "warning"));
      return (worst.length ? worst : msgs).map((m) => m?.text?.trim()).filter(Boolean).join(" ");
    },
    async remove_() {
      await call("/coupons", { text: "" }, (c) => c.removeDiscountCoupon());
    },
    onChange_(cb) {
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
    locale_() {
      // vtex_segment is base64 JSON: {"currencyCode":"BRL","cultureInfo":"pt-BR",...}
      try {
        const seg = JSON.parse(atob(readCookie("vtex_segment") || ""));
        return [seg.cultureInfo, seg.currencyCode];
      } catch {
        return [];
      }
    },
  };
}

// ---- DOM (Magazord and other themes without a script API) --------------------------------

/** parseMoney reads "R$ 1.234,56", "$1,234.56" or "1234.5" as a number; NaN when unreadable. */
export function parseMoney(text: string): number {
  const s = text.replace(/[^\d.,-]/g, "").replace(/[.,-]+$/, "");
  const lastSep = Math.max(s.lastIndexOf(","), s.lastIndexOf("."));
  const digits = (t: string) => t.replace(/[.,]/g, "");
  return parseFloat(lastSep >= 0 && s.length - lastSep < 4 ? digits(s.slice(0, lastSep)) + "." + s.slice(lastSep + 1) : digits(s));
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
export function domAdapter(o: DomOptions): Adapter {
  const $ = (sel?: string) => (sel ? document.querySelector<HTMLElement>(sel) : null);
  const text = (el: Node | null | undefined) => (el?.textContent || "").trim();
  const zord = () => (window as unknown as ZordWindow).Zord?.checkout || {};
  const coupon = (): string => {
    const applied = $(o.couponApplied);
    return applied ? text(applied) : (($(o.couponInput) as HTMLInputElement | null)?.value || "").trim();
  };
  const message = () => text($(o.couponMessage));
  // The theme applies the coupon on its own time: wait (bounded) until the page shows it.
  const until = (done: () => boolean, ms = TIMEOUT): Promise<void> =>
    new Promise((resolve) => {
      const end = Date.now() + ms;
      const tick = () => (done() || Date.now() > end ? resolve() : setTimeout(tick, 100));
      tick();
    });
  const setInput = (code: string) => {
    const input = $(o.couponInput) as HTMLInputElement | null;
    const button = $(o.couponButton);
    const z = zord();
    if (!input || !(button || z.addCupomDesconto)) throw new Error("coupon field not found");
    // The native setter, so that frameworks watching the field see the change.
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!.call(input, code);
    for (const ev of ["input", "change"]) input.dispatchEvent(new Event(ev, { bubbles: true }));
    if (button) button.click();
    else z.addCupomDesconto!();
  };
  return {
    session_: async () => {
      const s = o.sessionToken || (o.sessionCookie && readCookie(o.sessionCookie));
      return session(s, o.segmentToken || (o.segmentCookie && readCookie(o.segmentCookie)) || s);
    },
    async cart_() {
      const el = $(o.subtotal);
      const value = el ? parseMoney(el.textContent || "") : NaN;
      // The cart id is the store's (data-cart-id, new for every cart): the key of a redemption.
      return isFinite(value) ? { id: o.cartId || "", value, coupon: coupon() || null } : null;
    },
    async apply_(code) {
      // The theme answers on the page: the applied-coupon element (or the field) shows the
      // code once it is in; its message element says why not. Wait for either, bounded.
      const before = message();
      setInput(code);
      const said = () => message() !== "" && message() !== before;
      const isIn = () => sameCoupon(coupon(), code);
      // Only the field to go by: a theme that refuses clears it or writes a message.
      await (o.couponApplied ? until(() => isIn() || said()) : until(() => said() || !isIn(), 1500));
      return (isIn() && (!!o.couponApplied || !said())) || message();
    },
    async remove_(code) {
      const rm = $(o.couponRemove);
      const z = zord();
      if (rm) rm.click();
      else if (!o.couponButton && z.removeCupomDesconto) z.removeCupomDesconto();
      else setInput("");
      if (o.couponApplied) await until(() => !sameCoupon(coupon(), code));
    },
    onChange_(cb) {
      // Themes re-render their cart (Magazord replaces it after every AJAX call), so the whole
      // page is watched and only a different subtotal or coupon counts as a change.
      const now = () => $(o.subtotal)?.textContent + "|" + coupon();
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
export const customAdapter = (c: CustomAdapter): Adapter => ({
  // async: a callback that throws rejects, as one that fails later does.
  session_: async () => withTimeout(c.session()),
  cart_: async () => withTimeout(c.cart()),
  async apply_(code): Promise<Outcome> {
    // The integrator's promise says the call went through; the cart says whether the coupon
    // is in. A rejection's message is the store's explanation.
    let message = "";
    try {
      await withTimeout(c.applyCoupon(code));
    } catch (e) {
      if (e instanceof Error && e.message !== "timeout") message = e.message;
    }
    return sameCoupon((await withTimeout(c.cart()))?.coupon, code) || message;
  },
  remove_: async (code) => withTimeout(c.removeCoupon(code)),
  onChange_(cb) {
    const off = c.onChange?.(cb);
    return typeof off === "function" ? off : () => {};
  },
});
