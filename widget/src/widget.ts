// The widget: one shadow root in the store's mount point, a controller that talks to the BFF
// and the storefront adapter, and a renderer that only ever creates elements and text nodes.
import css from "./style.css";
import { Api, ApiError } from "./api";
import { words, type Words } from "./i18n";
import type { Adapter, AppliedDetail, Cart, CheckoutView, RedeemResult, RedeemedReward, Reward } from "./types";

export interface Settings {
  lang: "pt-BR" | "en" | "es";
  currency: string;
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
  private notice = "";
  private noticeFromRefresh = false; // a failed refresh's notice goes once a refresh works
  private seq = 0;
  private off: () => void = () => {};
  private timer = 0;

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
      await this.api.login(session);
      await this.refresh(true);
      this.off = this.adapter.onChange(() => {
        clearTimeout(this.timer);
        this.timer = window.setTimeout(() => void this.refresh(false), 350);
      });
    } catch (e) {
      this.fail(e);
    }
  }

  destroy(): void {
    this.off();
    clearTimeout(this.timer);
    this.seq++;
    this.root.replaceChildren();
  }

  /** refresh reads the cart and asks the BFF for the whole view (newest answer wins). */
  async refresh(initial = false): Promise<void> {
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
      const ap = view.Applied;
      if (initial && ap && ap.Success && ap.CouponCode && cart.coupon !== ap.CouponCode) {
        // The shopper is back: put the applied reward's coupon in the cart again.
        await this.adapter.applyCoupon(ap.CouponCode);
        cart.coupon = ap.CouponCode;
      }
      this.cart = cart;
      this.view = view;
      if (this.noticeFromRefresh) this.notice = "";
      this.noticeFromRefresh = false;
      this.render();
    } catch (e) {
      if (my === this.seq) this.fail(e);
    }
  }

  private fail(e: unknown): void {
    // A refusal the platform explained (4xx with a message) is shown as it is; anything else
    // gets one short notice. Never thrown: the checkout goes on.
    this.notice = this.explain(e);
    this.noticeFromRefresh = true;
    this.render();
  }

  /** explain: a refusal the platform worded (4xx with a message) as it is; else one line. */
  private explain(e: unknown): string {
    return e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.message ? e.message : this.w.unavailable;
  }

  private async act(fn: () => Promise<void>): Promise<void> {
    if (this.busy) return; // one action at a time: a double click redeems once
    this.busy = true;
    this.notice = "";
    this.noticeFromRefresh = false;
    this.render();
    try {
      await fn();
    } catch (e) {
      this.notice = this.explain(e); // stays until the next action
    } finally {
      this.busy = false;
    }
    await this.refresh(false);
  }

  private choose(r: Reward): Promise<void> {
    return this.take((cart) => this.api.redeem(r.Id, cart.id, cart.value));
  }

  private useRedeemed(r: RedeemedReward): Promise<void> {
    return this.take((cart) => this.api.useRedeemed(r.RedeemedId, cart.id, cart.value));
  }

  /** take redeems through call, with the cart as it is now, then puts the coupon in it. */
  private take(call: (cart: Cart) => Promise<RedeemResult>): Promise<void> {
    return this.act(async () => {
      const cart = await this.adapter.cart();
      if (!cart) return;
      const res = await call(cart);
      await this.applied(res.CouponCode, res.Reward);
    });
  }

  private async applied(code: string, r: RedeemedReward): Promise<void> {
    await this.adapter.applyCoupon(code);
    this.say(this.w.appliedNow + r.Title);
    this.emit("applied", { couponCode: code, rewardId: r.Id, redeemedId: r.RedeemedId, title: r.Title });
  }

  private remove(): Promise<void> {
    const ap = this.view && this.view.Applied;
    const reward = ap && ap.Reward;
    if (!ap || !reward || !ap.CouponCode || !reward.RedeemedId) return Promise.resolve();
    const code = ap.CouponCode;
    const redeemedId = reward.RedeemedId;
    return this.act(async () => {
      // Coupon out of the cart first: if the reversal then fails, the store gave no discount
      // and the shopper can still use the redeemed reward later.
      await this.adapter.removeCoupon(code);
      await this.api.reverse(redeemedId);
      this.say(this.w.removedNow);
      this.emit("removed", { couponCode: code, rewardId: reward.Id, redeemedId, title: reward.Title });
    });
  }

  private reapply(): Promise<void> {
    const ap = this.view && this.view.Applied;
    return this.act(async () => {
      if (ap && ap.CouponCode) await this.adapter.applyCoupon(ap.CouponCode);
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
      if (ap && ap.Reward) kids.push(this.appliedBox(ap.Reward.Title + this.worth(ap.Reward), ap.CouponCode || "", appliedId, v));
      const locked = !!ap || this.busy;
      const lockReason = ap ? w.onePerPurchase : w.busy;
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
    if (this.notice) kids.push(h("p", { class: "n", role: "alert" }, this.notice));
    this.box.replaceChildren(...kids.filter((k): k is Node | string => !!k));
    this.box.hidden = kids.length === 0;
    this.box.setAttribute("aria-busy", String(this.busy));
    if (v) this.box.setAttribute("aria-labelledby", this.id + "t");
    if (focused) {
      const again = this.root.querySelector<HTMLElement>(`[data-k="${focused}"]`);
      if (again) again.focus();
    }
  }

  /** worth is " (R$ 25,00)" for a redeemed cashback, in the shopper's locale and currency. */
  private worth(r: Reward & { RedeemedValue?: number }): string {
    if (r.Type !== 3 || !r.RedeemedValue) return "";
    try {
      return " (" + new Intl.NumberFormat(this.s.lang, { style: "currency", currency: this.s.currency }).format(r.RedeemedValue) + ")";
    } catch {
      return "";
    }
  }

  private appliedBox(title: string, code: string, redeemedId: number | undefined, v: CheckoutView): HTMLElement {
    const w = this.w;
    const kids: Child[] = [
      h("p", null, w.applied + ": ", h("strong", null, title)),
      h("p", null, w.coupon + ": ", h("code", { "data-coupon": "" }, code)),
    ];
    const still = (v.Redeemed || []).find((r) => r.RedeemedId === redeemedId);
    if (still && !still.CanUse) kids.push(h("p", { class: "n" }, w.noLongerFits + (still.UseReasonMessage || "")));
    if (this.cart && code && this.cart.coupon !== code) {
      kids.push(h("p", { class: "n" }, w.couponLeft));
      kids.push(this.button("again", w.applyAgain, w.applyAgain, !this.busy, "", () => this.reapply()));
      kids.push(" ");
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
