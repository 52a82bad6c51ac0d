// The controller: one state object (state.ts), rendered by a view function (view.ts) into a
// shadow root in the store's mount point. It talks to the BFF and the storefront adapter and
// moves the state with pure transitions. The money rules live here:
// - the coupon is confirmed in the cart after applying, else the redemption is reversed;
// - a coupon the widget did not put there is never removed or overwritten;
// - a reversal that cannot reach the BFF is owed (pending.ts) and retried.
//
// Styles (style.css) are a constructed sheet in the shadow root: no 'unsafe-inline' under a
// strict CSP, nothing leaks out, and "all: initial" keeps the page's styles out. A store themes
// the widget with custom properties on the mount point (--loyalty-accent, --loyalty-accent-fg,
// --loyalty-bg, --loyalty-fg, --loyalty-muted, --loyalty-border, --loyalty-warn,
// --loyalty-radius, --loyalty-font); they win over the tenant's theme, set as --lw-*.
import css from "./style.css";
import { ApiError, retryable, type Api } from "./api";
import { sameCoupon } from "./adapters";
import { fill, W, type Lang } from "./i18n";
import { anyMine, isMine, loadPending, mine, ordered, owe, placed, seen } from "./pending";
import { warn } from "./options";
import { applied, appliedOf, failed, finished, fmt, foreign, gives, initial, loaded, noted, outgrown, started, toggled, unapplied, type State } from "./state";
import { h, view, type Act } from "./view";
import type { Report } from "./beacon";
import type { Adapter, AppliedDetail, Cart, MountOptions, Outcome, RedeemResult, RedeemedReward } from "./types";

export interface Widget {
  /** The mount point the widget renders in now. */
  readonly host_: HTMLElement | null;
  /** attach_ renders into a (new) mount point: a checkout that is a single-page app replaces
   *  its elements, and the widget follows with its state. */
  attach_(host: HTMLElement): void;
  /** start_ signs in and shows the rewards; with no shopper logged in it stays hidden. */
  start_(): Promise<void>;
  refresh_(): Promise<void>;
  /** placed_ says the order of cart id (default: the cart read last) was placed: the widget
   *  never uses that cart id again. */
  placed_(id?: string): void;
  destroy_(): void;
}

/** The checkout's order-placed step (VTEX: /checkout/orderPlaced/?og=..., #/orderPlaced). */
const placedStep = (): boolean => /orderPlaced/.test(location.pathname + location.hash);

/** kind names a failure for the beacon: "net" (no answer), "h503" (the BFF's status), "store"
 *  (the storefront's own call failed or timed out). */
export const kind = (e: unknown): string => (e instanceof ApiError ? (e.status_ ? "h" + e.status_ : "net") : "store");

let uid = 0;

/** widget runs one mounted widget: o's currency (data-currency) wins over the BFF's, which wins
 *  over the storefront's own (platformCurrency, VTEX's segment); o's theme over the BFF's. */
export function widget(adapter: Adapter, api: Api, o: MountOptions, lang: Lang, platformCurrency: string | undefined, report: Report): Widget {
  const w = api.words_;
  const id = "lw" + ++uid;
  const mq = matchMedia("(max-width: 600px)");
  const compact = () => mq.matches;
  let host: HTMLElement | null = null;
  let root: ShadowRoot | null = null;
  let box = h("div", null);
  let live = box;
  let s: State = initial;
  let working = false; // one action (or settling) at a time: a double click redeems once
  let settling: Promise<boolean> | null = null;
  let seq = 0;
  let heard = ""; // the placed order's cart the BFF was told of (once per cart)
  const told = (id: string): void => {
    if (id && id !== heard) api.note_("order", (heard = id));
  };
  let off = () => {};
  let timer = 0;
  let restoreDue = true; // the first view puts the applied reward's coupon back if it left
  let warned = false;
  const tenant = api.tenant_;

  /** unusable says (and tells the integrator once: the console and a beacon) that a cart cannot
   *  take a redemption: it has no id, or the id of a cart whose order was placed. A redemption is
   *  keyed by the cart id: it must be the store's, and new for every cart. */
  const unusable = (c: Cart): boolean => {
    const old = placed().includes(c.id);
    if (c.id && !old) return false;
    if (!warned) {
      warned = true;
      warn(`LoyaltyWidget: no rewards for cart "${c.id}": every cart needs an id of its own, never a placed order's (data-cart-id, cart().id)`);
      report("cartid", "view");
    }
    return true;
  };

  const cur = () => o.currency || s.view_?.Currency || platformCurrency || "BRL";
  const render = (): void => {
    if (!root) return;
    try {
      const active = root.activeElement;
      const want = s.focus_ || active?.getAttribute("data-k");
      const next = view(s, {
        f_: fmt(w, lang, cur()),
        id_: id,
        compact_: compact(),
        theme_: o.theme,
        on_: on,
      });
      box.replaceWith(next);
      box = next;
      // Focus asked for by an action waits for its element (a reward back in the list after the
      // refresh); otherwise the focused element keeps the focus across renders.
      const el = want && root.querySelector<HTMLElement>(`[data-k="${want}"]`);
      if (el) {
        el.focus();
        if (s.focus_) s = { ...s, focus_: "" };
      }
    } catch {
      // never into the page: the store's checkout goes on
    }
  };
  const set = (next: State): void => {
    s = next;
    render();
  };
  const say = (text: string): void => {
    live.textContent = text;
  };
  /** tell shows a sentence next to what it is about and announces it, once. */
  const tell = (text: string, at: string): void => {
    set(noted(s, text, at));
    say(text);
  };
  const fail = (e: unknown, at: string): void => {
    report(kind(e), at);
    if (!s.offline_) say(w[W.unavailable]);
    set(failed(s));
  };
  const emit = (applied: boolean, detail: AppliedDetail): void => {
    host?.dispatchEvent(new CustomEvent(applied ? "loyalty:applied" : "loyalty:removed", { detail, bubbles: true, composed: true }));
    try {
      (applied ? o.onApplied : o.onRemoved)?.(detail);
    } catch {
      // an integrator's callback must not break the widget
    }
  };

  /** refresh reads the cart and asks the BFF for the whole view (newest answer wins), then
   *  settles what is owed: reversals that could not be made, and on the first view the
   *  applied reward's coupon if it left the cart. */
  const refresh = async (): Promise<void> => {
    const my = ++seq;
    try {
      // The order is placed: its cart is done, and the widget has nothing to offer on this step.
      if (placedStep()) told(ordered(tenant));
      // A read answered while an action is under way (s.busy_) is dropped: it shows the cart and
      // the platform halfway through (a redemption debited whose coupon the store is refusing, to
      // be reversed next), and the action's own refresh, when it ends, reads them again.
      // Applied, it stayed on screen after the action until that refresh answered, offering the
      // reversed redemption as "yours, use it" (the click then failed: "foi estornada").
      const cart = placedStep() ? null : await adapter.cart_();
      if (my !== seq || s.busy_) return;
      if (!cart || unusable(cart)) return set({ ...s, view_: null, cart_: null });
      seen(tenant, cart.id, cart.coupon);
      // The first view asks what is applied even to a cart without a coupon when this browser
      // put one in (it may have left the cart while the shopper was away: settle restores it).
      const v = await api.checkout_(cart, restoreDue && !cart.coupon && anyMine(tenant));
      if (my !== seq || s.busy_) return;
      set(loaded(s, v, cart));
    } catch (e) {
      if (my === seq) fail(e, "view");
      return;
    }
    if (working) return;
    working = true;
    let changed = false;
    try {
      changed = await (settling = settle());
    } catch {
      // settling is retried on the next refresh; the shopper's checkout goes on
    } finally {
      working = false;
      settling = null;
    }
    if (changed && my === seq) await refresh();
  };

  /** settle reverses what the shopper removed while the BFF was away, and on the first load
   *  puts the applied reward's coupon back in the cart. It says whether anything changed. */
  const settle = async (): Promise<boolean> => {
    const cart = s.cart_!;
    const redeemed = s.view_!.Redeemed || [];
    let changed = false;
    for (const p of loadPending(tenant)) {
      if (p.u !== api.user_) continue;
      if (redeemed.some((r) => r.RedeemedId === p.r) && !sameCoupon(cart.coupon, p.c)) {
        try {
          await api.reverse_(p.r, "owed");
          tell(w[W.pointsBack], "");
        } catch (e) {
          if (retryable(e)) return changed; // still away: next time
          // refused for good (e.g. used meanwhile): nothing more to do
        }
        changed = true;
      }
      // Reversed, or already reversed or used, or the shopper put it back in the cart: nothing
      // is owed.
      owe(tenant, p.r);
    }
    const ap = appliedOf(s);
    const gone = outgrown(s);
    if (ap && gone) {
      // The platform's re-check says the applied reward no longer fits this cart (it went below
      // the minimum): its coupon comes out and the redemption is reversed, so no debit stays
      // without its coupon in the cart; the reward is offered again once the cart fits.
      const code = ap.CouponCode;
      if (sameCoupon(cart.coupon, code)) await adapter.remove_(code);
      mine(tenant, "", code, false);
      let text = fill(w[W.outgrown], gone.UseReasonMessage);
      try {
        await api.reverse_(gone.RedeemedId, "outgrown");
      } catch (e) {
        if (retryable(e)) owe(tenant, gone.RedeemedId, { u: api.user_, r: gone.RedeemedId, c: code });
        text = retryable(e) ? w[W.removedLater] : (e as Error).message || text;
      }
      tell(text, "a" + gone.Id);
      emit(false, { couponCode: code, rewardId: gone.Id, redeemedId: gone.RedeemedId, title: gone.Title });
      return true;
    }
    const c = cart.coupon;
    if (c && !ap && !s.view_!.Missing?.includes("applied") && isMine(tenant, api.user_, c)) {
      // A coupon this widget put in, no longer applied to this cart: the platform moved its
      // redemption to another cart, or an order used it, or it was reversed. It is ours to take
      // out: one redemption, one cart.
      await adapter.remove_(c);
      mine(tenant, "", c, false);
      tell(w[W.movedAway], "");
      return true;
    }
    const restore = restoreDue;
    restoreDue = false;
    if (restore && ap?.Reward.RedeemedId && !cart.coupon) {
      // The shopper is back and the coupon left the cart: put it in again (never over a
      // coupon of the shopper's own: then "apply again" is theirs to choose).
      await putIn(ap.CouponCode, ap.Reward.RedeemedId, "");
      changed = true;
    }
    return changed;
  };

  /** act runs one action at a time, then reads the view again. */
  const act = async (at: string, fn: () => Promise<unknown>): Promise<void> => {
    // A press while the widget settles (after every read) waits for it, not lost: settling
    // shows no busy state, so nothing told the shopper to wait.
    await settling?.catch(() => {});
    if (working) return;
    working = true;
    set(started(s));
    try {
      await fn();
    } catch (e) {
      // A refusal the platform worded (4xx with a message) as it is; else one line.
      const refusal = e instanceof ApiError && e.status_ > 399 && e.status_ < 500 && e.status_ !== 401 && e.message;
      if (!refusal) report(kind(e), at === "ap" ? "remove" : "redeem");
      tell(refusal || w[W.unavailable], at);
    } finally {
      working = false;
      set(finished(s));
    }
    await refresh();
  };

  /** putIn applies a redeemed reward's coupon and confirms that the cart holds it. If the
   *  store refused it, the redemption is reversed (no debit without the coupon in the cart)
   *  and the shopper is told why, in one sentence, next to the reward; putIn then says false. */
  const putIn = async (code: string, redeemedId: number, at: string): Promise<boolean> => {
    let out: Outcome;
    try {
      out = await adapter.apply_(code);
    } catch {
      // The store did not answer: only the cart can say whether the coupon got in; unreadable,
      // it is taken as not in, so the points are not kept for nothing.
      out = sameCoupon((await adapter.cart_().catch(() => null))?.coupon, code) || "";
    }
    if (out === true) {
      mine(tenant, api.user_, code, true);
      api.note_("applied", s.cart_!.id, code);
      return true;
    }
    report("refused", "apply");
    let text = w[W.refused];
    try {
      await api.reverse_(redeemedId, "refused");
    } catch (e) {
      if (retryable(e)) owe(api.tenant_, redeemedId, { u: api.user_, r: redeemedId, c: code });
      text = w[W.refusedKept];
    }
    tell(fill(text, out), at);
    return false;
  };

  /** take redeems (a reward, or a redeemed one to use) with the cart as it is now, then puts
   *  the coupon in it. A cart holding the shopper's own coupon is left alone: one coupon per
   *  purchase, and the widget never replaces one it did not put there. */
  const take = (at: string, redeemed: boolean, rewardId: number): Promise<void> =>
    act(at, async () => {
      const cart = await adapter.cart_();
      if (!cart || unusable(cart)) return;
      s = { ...s, cart_: cart };
      const mine = foreign(s);
      if (mine) return tell(fill(w[W.ownCoupon], mine), at);
      const res: RedeemResult = await api.redeem_(redeemed, rewardId, cart);
      const r = res.Reward;
      const code = res.CouponCode;
      owe(api.tenant_, r.RedeemedId); // the shopper chose to use it after all
      if (!(await putIn(code, r.RedeemedId, at))) return;
      set(applied(s, code, r));
      say(w[W.applied] + ": " + gives(r, fmt(w, lang, cur())));
      emit(true, { couponCode: code, rewardId: r.Id, redeemedId: r.RedeemedId, title: r.Title });
    });

  /** remove takes the reward's own coupon out of the cart (no other coupon is touched), then
   *  reverses the redemption. If the BFF cannot be reached for the reversal, the screen says
   *  what is true (the reward stays redeemed, the points are not lost) and the reversal is
   *  owed: retried once the BFF answers again. */
  const remove = (): unknown => {
    const ap = appliedOf(s);
    const redeemedId = ap?.Reward.RedeemedId;
    if (!ap || !redeemedId) return;
    const code = ap.CouponCode;
    const detail = { couponCode: code, rewardId: ap.Reward.Id, redeemedId, title: ap.Reward.Title };
    return act("ap", async () => {
      // Coupon out of the cart first: if the reversal then fails, the store gives no discount
      // and the shopper can still use the redeemed reward later.
      const cart = await adapter.cart_();
      if (sameCoupon(cart?.coupon, code)) await adapter.remove_(code);
      mine(tenant, "", code, false);
      try {
        await api.reverse_(redeemedId, "removed");
        s = { ...s, focus_: "a" + detail.rewardId };
        say(w[W.removed]);
      } catch (e) {
        if (!retryable(e)) throw e;
        owe(api.tenant_, redeemedId, { u: api.user_, r: redeemedId, c: code });
        s = unapplied(s, redeemedId);
        tell(w[W.removedLater], "u" + redeemedId);
      }
      emit(false, detail);
    });
  };

  const reapply = (): Promise<void> =>
    act("ap", async () => {
      const ap = appliedOf(s);
      const cart = await adapter.cart_();
      if (!ap?.Reward.RedeemedId || !cart) return;
      if (cart.coupon && !sameCoupon(cart.coupon, ap.CouponCode)) return tell(fill(w[W.ownCoupon], cart.coupon), "ap");
      await putIn(ap.CouponCode, ap.Reward.RedeemedId, "ap");
    });

  function on(a: Act): void {
    if (a.t_ === "use") {
      const { key_, r_, redeemed_ } = a.row_;
      void take(key_, redeemed_, redeemed_ ? (r_ as RedeemedReward).RedeemedId : r_.Id);
    } else if (a.t_ === "rm") void remove();
    else if (a.t_ === "again") void reapply();
    else set(toggled(s, compact()));
  }

  mq.addEventListener("change", render);
  const onShow = () => document.hidden || void refresh();

  return {
    get host_() {
      return host;
    },
    attach_(el) {
      host = el;
      root = el.shadowRoot || el.attachShadow({ mode: "open" });
      root.replaceChildren();
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        root.adoptedStyleSheets = [sheet];
      } catch {
        root.append(h("style", null, css));
      }
      box = h("div.w", { hidden: "" });
      live = h("div.sr", { role: "status", "aria-live": "polite" });
      root.append(box, live);
      render();
    },
    async start_() {
      try {
        const session = await adapter.session_();
        if (!session) return;
        off = adapter.onChange_(() => {
          clearTimeout(timer);
          timer = setTimeout(refresh, 350) as unknown as number;
        });
        api.login_(session);
        // A shopper back on this tab (from another tab, another cart) gets a fresh look.
        document.addEventListener("visibilitychange", onShow);
      } catch (e) {
        return fail(e, "login");
      }
      await refresh();
    },
    refresh_: refresh,
    placed_(id) {
      told(ordered(tenant, id));
      void refresh();
    },
    destroy_() {
      off();
      document.removeEventListener("visibilitychange", onShow);
      clearTimeout(timer);
      seq++;
      mq.removeEventListener("change", render);
      root?.replaceChildren();
      root = null;
    },
  };
}
