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
import { Api, ApiError, retryable } from "./api";
import { sameCoupon } from "./adapters";
import { fill, words, type Lang } from "./i18n";
import { addPending, dropPending, loadPending } from "./pending";
import { applied, appliedOf, failed, finished, fmt, foreign, initial, loaded, noted, started, toggled, unapplied, type State } from "./state";
import { h, view, type Act } from "./view";
import type { Adapter, AppliedDetail, Cart, CouponOutcome, RedeemResult, RedeemedReward, Theme } from "./types";

export interface Settings {
  lang: Lang;
  /** data-currency: wins over everything. */
  currency?: string;
  /** The storefront's own currency (VTEX's segment): used when the BFF names none. */
  platformCurrency?: string;
  theme?: Theme;
  onApplied?: (d: AppliedDetail) => void;
  onRemoved?: (d: AppliedDetail) => void;
  /** Reports a failure (no personal data): kind of failure, where. */
  beacon?: (kind: string, at: string) => void;
}

export interface Widget {
  /** The mount point the widget renders in now. */
  readonly host: HTMLElement | null;
  /** attach renders into a (new) mount point: a checkout that is a single-page app replaces
   *  its elements, and the widget follows with its state. */
  attach(host: HTMLElement): void;
  /** start signs in and shows the rewards; with no shopper logged in it stays hidden. */
  start(): Promise<void>;
  refresh(): Promise<void>;
  destroy(): void;
}

/** kind names a failure for the beacon: "net" (no answer), "h503" (the BFF's status), "store"
 *  (the storefront's own call failed or timed out). */
export const kind = (e: unknown): string => (e instanceof ApiError ? (e.status ? "h" + e.status : "net") : "store");

let uid = 0;

export function widget(adapter: Adapter, api: Api, o: Settings): Widget {
  const w = words(o.lang);
  const id = "lw" + ++uid;
  const mq = typeof matchMedia === "function" ? matchMedia("(max-width: 600px)") : null;
  const compact = () => !!mq && mq.matches;
  const report = (k: string, at: string) => o.beacon && o.beacon(k, at);
  let host: HTMLElement | null = null;
  let root: ShadowRoot | null = null;
  let box = h("div", null);
  let live = h("div", null);
  let s: State = initial;
  let working = false; // one action (or settling) at a time: a double click redeems once
  let seq = 0;
  let off = () => {};
  let timer = 0;
  let restoreDue = true; // the first view puts the applied reward's coupon back if it left

  const render = (): void => {
    if (root) {
      try {
        paint(root);
      } catch {
        // never into the page: the store's checkout goes on
      }
    }
  };
  const paint = (root: ShadowRoot): void => {
    const active = root.activeElement;
    const want = s.focus || (active && active.getAttribute("data-k"));
    const v = s.view;
    const next = view(s, {
      f: fmt(w, o.lang, o.currency || (v && v.Currency) || o.platformCurrency || "BRL"),
      id,
      compact: compact(),
      theme: o.theme,
      on,
    });
    box.replaceWith(next);
    box = next;
    // Focus asked for by an action waits for its element (a reward back in the list after the
    // refresh); otherwise the focused element keeps the focus across renders.
    const el = want && root.querySelector<HTMLElement>(`[data-k="${want}"]`);
    if (el) {
      el.focus();
      if (s.focus) s = { ...s, focus: "" };
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
    if (!s.offline) say(w.unavailable);
    set(failed(s));
  };
  const emit = (k: "applied" | "removed", detail: AppliedDetail): void => {
    if (host) host.dispatchEvent(new CustomEvent("loyalty:" + k, { detail, bubbles: true, composed: true }));
    const cb = k === "applied" ? o.onApplied : o.onRemoved;
    try {
      if (cb) cb(detail);
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
      const cart = await adapter.cart();
      if (my !== seq) return;
      if (!cart) return set({ ...s, view: null, cart: null });
      const v = await api.checkout(cart.value, cart.id);
      if (my !== seq) return;
      set(loaded(s, v, cart));
    } catch (e) {
      if (my === seq) fail(e, "view");
      return;
    }
    if (working) return;
    working = true;
    let changed = false;
    try {
      changed = await settle();
    } catch {
      // settling is retried on the next refresh; the shopper's checkout goes on
    } finally {
      working = false;
    }
    if (changed && my === seq) await refresh();
  };

  /** settle reverses what the shopper removed while the BFF was away, and on the first load
   *  puts the applied reward's coupon back in the cart. It says whether anything changed. */
  const settle = async (): Promise<boolean> => {
    const v = s.view!;
    const cart = s.cart!;
    const tenant = api.tenant;
    let changed = false;
    for (const p of loadPending(tenant)) {
      if (p.u !== api.user) continue;
      if (!(v.Redeemed || []).some((r) => r.RedeemedId === p.r) || sameCoupon(cart.coupon, p.c)) {
        // Already reversed or used, or the shopper put it back in the cart: nothing is owed.
        dropPending(tenant, p.r);
        continue;
      }
      let done = true;
      try {
        await api.reverse(p.r);
      } catch (e) {
        if (retryable(e)) return changed; // still away: next time
        done = false; // refused for good (e.g. used meanwhile): nothing more to do
      }
      dropPending(tenant, p.r);
      if (done) tell(w.pointsBack, "");
      changed = true;
    }
    const ap = appliedOf(s);
    const restore = restoreDue;
    restoreDue = false;
    if (restore && ap && ap.Reward.RedeemedId && !cart.coupon) {
      // The shopper is back and the coupon left the cart: put it in again (never over a
      // coupon of the shopper's own: then "apply again" is theirs to choose).
      await putIn(ap.CouponCode, ap.Reward.RedeemedId, "");
      changed = true;
    }
    return changed;
  };

  const act = async (at: string, fn: () => Promise<void>): Promise<void> => {
    if (working) return;
    working = true;
    set(started(s));
    try {
      await fn();
    } catch (e) {
      // A refusal the platform worded (4xx with a message) as it is; else one line.
      const refusal = e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.message;
      if (!refusal) report(kind(e), at === "ap" ? "remove" : "redeem");
      tell(refusal || w.unavailable, at);
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
    let out: CouponOutcome;
    try {
      out = await adapter.applyCoupon(code);
    } catch {
      // The store did not answer: only the cart can say whether the coupon got in.
      let cart: Cart | null = null;
      try {
        cart = await adapter.cart();
      } catch {
        // unreadable: treated as not in, so the points are not kept for nothing
      }
      out = { applied: !!cart && sameCoupon(cart.coupon, code) };
    }
    if (out.applied) return true;
    report("refused", "apply");
    let text = fill(w.refused, { msg: out.message });
    try {
      await api.reverse(redeemedId);
    } catch (e) {
      if (retryable(e)) addPending(api.tenant, { u: api.user, r: redeemedId, c: code });
      text = fill(w.refusedKept, { msg: out.message });
    }
    tell(text, at);
    return false;
  };

  /** take redeems through call, with the cart as it is now, then puts the coupon in it. A
   *  cart holding the shopper's own coupon is left alone: one coupon per purchase, and the
   *  widget never replaces one it did not put there. */
  const take = (at: string, call: (cart: Cart) => Promise<RedeemResult>): Promise<void> =>
    act(at, async () => {
      const cart = await adapter.cart();
      if (!cart) return;
      s = { ...s, cart };
      const mine = foreign(s);
      if (mine) return tell(fill(w.ownCoupon, { code: mine }), at);
      const res = await call(cart);
      const r = res.Reward;
      dropPending(api.tenant, r.RedeemedId); // the shopper chose to use it after all
      if (!(await putIn(res.CouponCode, r.RedeemedId, at))) return;
      set(applied(s, res.CouponCode, r));
      say(w.appliedNow + r.Title);
      emit("applied", { couponCode: res.CouponCode, rewardId: r.Id, redeemedId: r.RedeemedId, title: r.Title });
    });

  /** remove takes the reward's own coupon out of the cart (no other coupon is touched), then
   *  reverses the redemption. If the BFF cannot be reached for the reversal, the screen says
   *  what is true (the reward stays redeemed, the points are not lost) and the reversal is
   *  owed: retried once the BFF answers again. */
  const remove = (): Promise<void> | void => {
    const ap = appliedOf(s);
    const redeemedId = ap && ap.Reward.RedeemedId;
    if (!ap || !redeemedId) return;
    const code = ap.CouponCode;
    const detail = { couponCode: code, rewardId: ap.Reward.Id, redeemedId, title: ap.Reward.Title };
    return act("ap", async () => {
      // Coupon out of the cart first: if the reversal then fails, the store gives no discount
      // and the shopper can still use the redeemed reward later.
      const cart = await adapter.cart();
      if (cart && sameCoupon(cart.coupon, code)) await adapter.removeCoupon(code);
      try {
        await api.reverse(redeemedId);
        s = { ...s, focus: "a" + detail.rewardId };
        say(w.removedNow);
      } catch (e) {
        if (!retryable(e)) throw e;
        addPending(api.tenant, { u: api.user, r: redeemedId, c: code });
        s = unapplied(s, redeemedId);
        tell(w.removeLater, "u" + redeemedId);
      }
      emit("removed", detail);
    });
  };

  const reapply = (): Promise<void> =>
    act("ap", async () => {
      const ap = appliedOf(s);
      const cart = await adapter.cart();
      if (!ap || !ap.Reward.RedeemedId || !cart) return;
      if (cart.coupon && !sameCoupon(cart.coupon, ap.CouponCode)) return tell(fill(w.ownCoupon, { code: cart.coupon }), "ap");
      await putIn(ap.CouponCode, ap.Reward.RedeemedId, "ap");
    });

  function on(a: Act): void {
    if (a.t === "use") {
      const r = a.row.r;
      void take(a.row.key, (cart) => (a.row.redeemed ? api.useRedeemed((r as RedeemedReward).RedeemedId, cart.id, cart.value) : api.redeem(r.Id, cart.id, cart.value)));
    } else if (a.t === "rm") void remove();
    else if (a.t === "again") void reapply();
    else set(toggled(s, compact()));
  }

  if (mq && mq.addEventListener) mq.addEventListener("change", render);

  return {
    get host() {
      return host;
    },
    attach(el) {
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
      box = h("div", { class: "w", hidden: "" });
      live = h("div", { class: "sr", role: "status", "aria-live": "polite" });
      root.append(box, live);
      render();
    },
    async start() {
      try {
        const session = await adapter.session();
        if (!session) return;
        off = adapter.onChange(() => {
          clearTimeout(timer);
          timer = window.setTimeout(() => void refresh(), 350);
        });
        await api.login(session);
      } catch (e) {
        return fail(e, "login");
      }
      await refresh();
    },
    refresh,
    destroy() {
      off();
      clearTimeout(timer);
      seq++;
      if (mq && mq.removeEventListener) mq.removeEventListener("change", render);
      if (root) root.replaceChildren();
      root = null;
    },
  };
}
