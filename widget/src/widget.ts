// The widget: one shadow root in the store's mount point, a controller that talks to the BFF
// and the storefront adapter, and a renderer that only ever creates elements and text nodes.
import css from "./style.css";
import { Api, ApiError, retryable } from "./api";
import { sameCoupon } from "./adapters";
import { fill, words, type Words } from "./i18n";
import { addPending, dropPending, loadPending } from "./pending";
import type { Adapter, AppliedDetail, Cart, CheckoutView, CouponOutcome, RedeemResult, RedeemedReward, Reward } from "./types";

export interface Settings {
  lang: "pt-BR" | "en" | "es";
  /** data-currency: wins over everything. */
  currency?: string;
  /** The storefront's own currency (VTEX's segment): used when the BFF names none. */
  platformCurrency?: string;
  onApplied?: (d: AppliedDetail) => void;
  onRemoved?: (d: AppliedDetail) => void;
}

type Child = Node | string | null | false | undefined;

/** h makes an element; strings become text nodes, never HTML. */
function h(tag: string, attrs: Record<string, string | false | undefined> | null, ...kids: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== false && v !== undefined) el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid) el.append(kid);
  return el;
}

function adoptStyles(root: ShadowRoot): void {
  try {
    // A constructed sheet needs no 'unsafe-inline' under a strict CSP.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(h("style", null, css));
  }
}

let uid = 0;

export class Widget {
  private readonly root: ShadowRoot;
  private readonly box: HTMLElement;
  private readonly live: HTMLElement;
  private readonly w: Words;
  private readonly id = "lw" + ++uid;
  private view: CheckoutView | null = null;
  private cart: Cart | null = null;
  private busy = false;
  private notice = ""; // the outcome of the shopper's last action; stays until the next one
  private offline = false; // the last refresh failed: one short notice, gone once one works
  private seq = 0;
  private off: () => void = () => {};
  private timer = 0;
  private restoreDue = true; // the first view puts the applied reward's coupon back if it left

  constructor(
    private readonly host: HTMLElement,
    private readonly adapter: Adapter,
    private readonly api: Api,
    private readonly s: Settings,
  ) {
    this.w = words(s.lang);
    this.root = host.shadowRoot || host.attachShadow({ mode: "open" });
    this.root.replaceChildren();
    adoptStyles(this.root);
    this.box = h("div", { class: "w", hidden: "" });
    this.live = h("div", { class: "sr", "aria-live": "polite", role: "status" });
    this.root.append(this.box, this.live);
  }

  /** start signs in and shows the rewards; with no shopper logged in it stays hidden. */
  async start(): Promise<void> {
    try {
      const session = await this.adapter.session();
      if (!session) return;
      this.off = this.adapter.onChange(() => {
        clearTimeout(this.timer);
        this.timer = window.setTimeout(() => void this.refresh(), 350);
      });
      await this.api.login(session);
      await this.refresh();
    } catch (e) {
      this.offline = true;
      this.render();
    }
  }

  destroy(): void {
    this.off();
    clearTimeout(this.timer);
    this.seq++;
    this.root.replaceChildren();
  }

  /** refresh reads the cart and asks the BFF for the whole view (newest answer wins), then
   *  settles what is owed: reversals that could not be made, and on the first view the
   *  applied reward's coupon if it left the cart. */
  async refresh(): Promise<void> {
    const my = ++this.seq;
    try {
      const cart = await this.adapter.cart();
      if (my !== this.seq) return;
      if (!cart) {
        this.box.hidden = true;
        return;
      }
      const view = await this.api.checkout(cart.value, cart.id);
      if (my !== this.seq) return;
      this.cart = cart;
      this.view = view;
      this.offline = false;
      this.render();
    } catch {
      if (my !== this.seq) return;
      this.offline = true;
      this.render();
      return;
    }
    if (this.busy) return;
    this.busy = true;
    let changed = false;
    try {
      changed = await this.settle();
    } catch {
      // settling is retried on the next refresh; the shopper's checkout goes on
    } finally {
      this.busy = false;
    }
    if (changed && my === this.seq) await this.refresh();
    else this.render();
  }

  /** settle reverses what the shopper removed while the BFF was away, and on the first load
   *  puts the applied reward's coupon back in the cart. It says whether anything changed. */
  private async settle(): Promise<boolean> {
    const v = this.view!;
    const cart = this.cart!;
    let changed = false;
    for (const p of loadPending(this.api.tenant)) {
      if (p.u !== this.api.user) continue;
      const still = (v.Redeemed || []).some((r) => r.RedeemedId === p.r);
      if (!still || sameCoupon(cart.coupon, p.c)) {
        // Already reversed or used, or the shopper put it back in the cart: nothing is owed.
        dropPending(this.api.tenant, p.r);
        continue;
      }
      let done = true;
      try {
        await this.api.reverse(p.r);
      } catch (e) {
        if (retryable(e)) return changed; // still away: next time
        done = false; // refused for good (e.g. used meanwhile): nothing more to do
      }
      dropPending(this.api.tenant, p.r);
      if (done) {
        this.notice = this.w.pointsBack;
        this.say(this.w.pointsBack);
      }
      changed = true;
    }
    const ap = v.Applied && v.Applied.Success ? v.Applied : null;
    const r = ap && ap.Reward;
    const restore = this.restoreDue;
    this.restoreDue = false;
    if (restore && ap && ap.CouponCode && r && r.RedeemedId && !cart.coupon) {
      // The shopper is back and the coupon left the cart: put it in again (never over a
      // coupon of the shopper's own: then "apply again" is theirs to choose).
      if (!(await this.putIn(ap.CouponCode, r.RedeemedId))) return true;
      cart.coupon = ap.CouponCode;
      changed = true;
    }
    return changed;
  }

  private async act(fn: () => Promise<void>): Promise<void> {
    if (this.busy) return; // one action at a time: a double click redeems once
    this.busy = true;
    this.notice = "";
    this.render();
    try {
      await fn();
    } catch (e) {
      this.notice = this.explain(e);
    } finally {
      this.busy = false;
    }
    await this.refresh();
  }

  /** explain: a refusal the platform worded (4xx with a message) as it is; else one line. */
  private explain(e: unknown): string {
    return e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.message ? e.message : this.w.unavailable;
  }

  /** foreign is a coupon in the cart that the widget did not put there ("" when none). */
  private foreign(): string {
    const c = this.cart && this.cart.coupon;
    const ap = this.view && this.view.Applied;
    return c && !(ap && ap.Success && sameCoupon(ap.CouponCode, c)) ? c : "";
  }

  private choose(r: Reward): Promise<void> {
    return this.take((cart) => this.api.redeem(r.Id, cart.id, cart.value));
  }

  private useRedeemed(r: RedeemedReward): Promise<void> {
    return this.take((cart) => this.api.useRedeemed(r.RedeemedId, cart.id, cart.value));
  }

  /** take redeems through call, with the cart as it is now, then puts the coupon in it. A
   *  cart holding the shopper's own coupon is left alone: one coupon per purchase, and the
   *  widget never replaces one it did not put there. */
  private take(call: (cart: Cart) => Promise<RedeemResult>): Promise<void> {
    return this.act(async () => {
      const cart = await this.adapter.cart();
      if (!cart) return;
      this.cart = cart;
      const mine = this.foreign();
      if (mine) {
        this.notice = fill(this.w.ownCoupon, { code: mine });
        return;
      }
      const res = await call(cart);
      const r = res.Reward;
      dropPending(this.api.tenant, r.RedeemedId); // the shopper chose to use it after all
      if (!(await this.putIn(res.CouponCode, r.RedeemedId))) return;
      // What is true now, shown even if the refresh that follows cannot reach the BFF.
      if (this.view) this.view = { ...this.view, Applied: { Success: true, CouponCode: res.CouponCode, Reward: r } };
      if (this.cart) this.cart.coupon = res.CouponCode;
      this.say(this.w.appliedNow + r.Title);
      this.emit("applied", { couponCode: res.CouponCode, rewardId: r.Id, redeemedId: r.RedeemedId, title: r.Title });
    });
  }

  /** putIn applies a redeemed reward's coupon and confirms that the cart holds it. If the
   *  store refused it, the redemption is reversed (no debit without the coupon in the cart)
   *  and the shopper is told why, in one sentence; putIn then says false. */
  private async putIn(code: string, redeemedId: number): Promise<boolean> {
    let out: CouponOutcome;
    try {
      out = await this.adapter.applyCoupon(code);
    } catch {
      // The store did not answer: only the cart can say whether the coupon got in.
      let cart: Cart | null = null;
      try {
        cart = await this.adapter.cart();
      } catch {
        // unreadable: treated as not in, so the points are not kept for nothing
      }
      out = { applied: !!cart && sameCoupon(cart.coupon, code) };
    }
    if (out.applied) return true;
    try {
      await this.api.reverse(redeemedId);
      this.notice = fill(this.w.refused, { msg: out.message });
    } catch (e) {
      if (retryable(e)) addPending(this.api.tenant, { u: this.api.user, r: redeemedId, c: code });
      this.notice = fill(this.w.refusedKept, { msg: out.message });
    }
    this.say(this.notice);
    return false;
  }

  /** remove takes the reward's own coupon out of the cart (no other coupon is touched), then
   *  reverses the redemption. If the BFF cannot be reached for the reversal, the screen says
   *  what is true (the reward stays redeemed, the points are not lost) and the reversal is
   *  owed: retried once the BFF answers again. */
  private remove(): Promise<void> {
    const ap = this.view && this.view.Applied;
    const reward = ap && ap.Reward;
    if (!ap || !reward || !ap.CouponCode || !reward.RedeemedId) return Promise.resolve();
    const code = ap.CouponCode;
    const redeemedId = reward.RedeemedId;
    const detail = { couponCode: code, rewardId: reward.Id, redeemedId, title: reward.Title };
    return this.act(async () => {
      // Coupon out of the cart first: if the reversal then fails, the store gives no discount
      // and the shopper can still use the redeemed reward later.
      const cart = await this.adapter.cart();
      if (cart && sameCoupon(cart.coupon, code)) await this.adapter.removeCoupon(code);
      try {
        await this.api.reverse(redeemedId);
      } catch (e) {
        if (!retryable(e)) throw e;
        addPending(this.api.tenant, { u: this.api.user, r: redeemedId, c: code });
        this.unapply(redeemedId);
        this.notice = this.w.removeLater;
        this.say(this.w.removeLater);
        this.emit("removed", detail);
        return;
      }
      this.say(this.w.removedNow);
      this.emit("removed", detail);
    });
  }

  /** unapply shows, without the BFF, what is true after the coupon left the cart: nothing is
   *  applied, and the reward is among the redeemed ones, ready to be used again. */
  private unapply(redeemedId: number): void {
    const v = this.view;
    if (!v) return;
    const r = v.Applied && v.Applied.Reward;
    const redeemed = v.Redeemed || [];
    if (r && !redeemed.some((x) => x.RedeemedId === redeemedId)) {
      redeemed.push({ RedeemedPoints: 0, RedeemedValue: 0, ...r, RedeemedId: redeemedId, CanUse: true, Enabled: true });
    }
    this.view = { ...v, Applied: null, Redeemed: redeemed };
    if (this.cart) this.cart.coupon = null;
  }

  private reapply(): Promise<void> {
    const ap = this.view && this.view.Applied;
    const r = ap && ap.Reward;
    return this.act(async () => {
      const cart = await this.adapter.cart();
      if (!ap || !ap.CouponCode || !r || !r.RedeemedId || !cart) return;
      if (cart.coupon && !sameCoupon(cart.coupon, ap.CouponCode)) {
        this.notice = fill(this.w.ownCoupon, { code: cart.coupon });
        return;
      }
      await this.putIn(ap.CouponCode, r.RedeemedId);
    });
  }

  private say(text: string): void {
    this.live.textContent = text;
  }

  private emit(kind: "applied" | "removed", detail: AppliedDetail): void {
    this.host.dispatchEvent(new CustomEvent("loyalty:" + kind, { detail, bubbles: true, composed: true }));
    const cb = kind === "applied" ? this.s.onApplied : this.s.onRemoved;
    try {
      if (cb) cb(detail);
    } catch {
      // an integrator's callback must not break the widget
    }
  }

  private render(): void {
    const focused = this.root.activeElement && this.root.activeElement.getAttribute("data-k");
    const w = this.w;
    const v = this.view;
    const kids: Child[] = [];
    if (v) {
      const nf = new Intl.NumberFormat(this.s.lang);
      kids.push(h("h2", { id: this.id + "t" }, v.ProgramName || w.title));
      if (v.PointsBalance != null) kids.push(h("p", { class: "bal" }, nf.format(v.PointsBalance) + " " + w.points));
      const ap = v.Applied && v.Applied.Success && v.Applied.Reward ? v.Applied : null;
      const appliedId = ap && ap.Reward ? ap.Reward.RedeemedId : undefined;
      const foreign = this.foreign();
      if (ap && ap.Reward) kids.push(this.appliedBox(ap.Reward.Title + this.worth(ap.Reward), ap.CouponCode || "", appliedId, v, foreign));
      const locked = !!ap || !!foreign || this.busy;
      const lockReason = ap ? w.onePerPurchase : foreign ? fill(w.ownCoupon, { code: foreign }) : w.busy;
      const redeemed = (v.Redeemed || []).filter((r) => r.RedeemedId !== appliedId);
      if (redeemed.length) {
        kids.push(this.group("r", w.redeemed, redeemed.map((r) =>
          this.option("u" + r.RedeemedId, r.Title + this.worth(r), w.use + " · " + r.Title, r.CanUse && !locked,
            !r.CanUse ? r.UseReasonMessage || "" : locked ? lockReason : "", () => this.useRedeemed(r)))));
      }
      const rewards = v.Rewards || [];
      if (rewards.length) {
        kids.push(this.group("a", w.choose, rewards.map((r) => {
          const usable = r.Enabled && r.CanUse;
          const meta = nf.format(r.Points) + " " + w.points + (usable ? (locked ? " · " + lockReason : "") : " · " + (r.UseReasonMessage || ""));
          return this.option("a" + r.Id, r.Title, r.Title, usable && !locked, meta, () => this.choose(r));
        })));
      }
    }
    const notice = this.notice || (this.offline ? w.unavailable : "");
    if (notice) kids.push(h("p", { class: "n", role: "alert" }, notice));
    this.box.replaceChildren(...kids.filter((k): k is Node | string => !!k));
    this.box.hidden = kids.length === 0;
    this.box.setAttribute("aria-busy", String(this.busy));
    if (v) this.box.setAttribute("aria-labelledby", this.id + "t");
    if (focused) {
      const again = this.root.querySelector<HTMLElement>(`[data-k="${focused}"]`);
      if (again) again.focus();
    }
  }

  /** worth is " (R$ 25,00)" for a redeemed cashback, in the shopper's locale and the store's
   *  currency (data-currency, else the tenant's from the BFF, as its messages use). */
  private worth(r: Reward & { RedeemedValue?: number }): string {
    if (r.Type !== 3 || !r.RedeemedValue) return "";
    try {
      return " (" + new Intl.NumberFormat(this.s.lang, { style: "currency", currency: this.s.currency || (this.view && this.view.Currency) || this.s.platformCurrency || "BRL" }).format(r.RedeemedValue) + ")";
    } catch {
      return "";
    }
  }

  private appliedBox(title: string, code: string, redeemedId: number | undefined, v: CheckoutView, foreign: string): HTMLElement {
    const w = this.w;
    const kids: Child[] = [
      h("p", null, w.applied + ": ", h("strong", null, title)),
      h("p", null, w.coupon + ": ", h("code", { "data-coupon": "" }, code)),
    ];
    const still = (v.Redeemed || []).find((r) => r.RedeemedId === redeemedId);
    if (still && !still.CanUse) kids.push(h("p", { class: "n" }, w.noLongerFits + (still.UseReasonMessage || "")));
    if (this.cart && code && !sameCoupon(this.cart.coupon, code)) {
      kids.push(h("p", { class: "n" }, w.couponLeft));
      if (foreign) {
        // The shopper's own coupon took its place: theirs to keep; removing the reward only
        // gives the points back.
        kids.push(h("p", { class: "n" }, fill(w.ownCoupon, { code: foreign })));
      } else {
        kids.push(this.button("again", w.applyAgain, w.applyAgain, !this.busy, "", () => this.reapply()));
        kids.push(" ");
      }
    }
    kids.push(this.button("rm", w.remove, w.remove, !this.busy, "", () => this.remove()));
    return h("div", { class: "ap" }, ...kids);
  }

  private group(key: string, label: string, items: HTMLElement[]): HTMLElement {
    const lid = this.id + key;
    return h("div", { role: "group", "aria-labelledby": lid },
      h("p", { class: "lbl", id: lid }, label),
      h("ul", null, ...items.map((i) => h("li", null, i))));
  }

  private option(key: string, title: string, label: string, enabled: boolean, meta: string, fn: () => void): HTMLElement {
    const mid = this.id + key + "m";
    const b = this.button(key, title, label, enabled, mid, fn);
    if (!enabled) b.classList.remove("p");
    return h("div", null, b, meta ? h("span", { class: "m", id: mid }, meta) : null);
  }

  /** button: named by its visible text; a disabled one stays focusable (aria-disabled) so its
   *  reason, tied with aria-describedby, is read out. */
  private button(key: string, text: string, label: string, enabled: boolean, describedBy: string, fn: () => void): HTMLElement {
    const b = h("button", {
      type: "button",
      class: "p",
      "data-k": key,
      "aria-disabled": enabled ? false : "true",
      "aria-describedby": describedBy || undefined,
      "aria-label": label !== text ? label : undefined,
    }, text);
    b.addEventListener("click", (e) => {
      e.preventDefault();
      if (b.getAttribute("aria-disabled") !== "true") void fn();
    });
    return b;
  }
}
