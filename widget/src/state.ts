// The widget's state and its pure parts: transitions (state in, state out) and what the view
// derives from a state. Nothing here touches the page, the network or the clock, so every
// state can be built and checked alone (widget/test/state.test.ts).
import { sameCoupon } from "./adapters";
import { fill, type Words } from "./i18n";
import type { Applied, Cart, CheckoutView, RedeemedReward, Reward, Theme } from "./types";

/** A sentence for the shopper about their last action, shown next to what caused it: at is a
 *  reward's key ("a301", "u1001"), "ap" for the applied reward, "" for the top. */
export interface Note {
  text: string;
  at: string;
}

export interface State {
  view: CheckoutView | null;
  cart: Cart | null;
  /** One action at a time: a double click redeems once. */
  busy: boolean;
  note: Note | null;
  /** The last refresh failed: one short notice, gone once one works. */
  offline: boolean;
  /** The shopper opened (true) or closed (false) the compact view; null: as space allows. */
  open: boolean | null;
  /** The key of the element to focus after the next render ("" none). */
  focus: string;
}

export const initial: State = { view: null, cart: null, busy: false, note: null, offline: false, open: null, focus: "" };

// ---- transitions ----------------------------------------------------------------------------

export const loaded = (s: State, view: CheckoutView, cart: Cart): State => ({ ...s, view, cart, offline: false });
export const failed = (s: State): State => ({ ...s, offline: true });
export const started = (s: State): State => ({ ...s, busy: true, note: null, focus: "" });
export const finished = (s: State): State => ({ ...s, busy: false });
export const noted = (s: State, text: string, at = ""): State => ({ ...s, note: { text, at } });
export const toggled = (s: State, compact: boolean): State => ({ ...s, open: !isOpen(s, compact), focus: "tg" });

/** applied: the coupon is in the cart now; shown even if the refresh after it fails. */
export function applied(s: State, code: string, r: RedeemedReward): State {
  return {
    ...s,
    view: s.view && { ...s.view, Applied: { Success: true, CouponCode: code, Reward: r } },
    cart: s.cart && { ...s.cart, coupon: code },
    focus: "ap",
  };
}

/** unapplied: what is true after the coupon left the cart without the BFF: nothing is applied,
 *  and the reward is among the redeemed ones, ready to be used again. */
export function unapplied(s: State, redeemedId: number): State {
  const v = s.view;
  if (!v) return s;
  const r = v.Applied && v.Applied.Reward;
  let redeemed = v.Redeemed || [];
  if (r && !redeemed.some((x) => x.RedeemedId === redeemedId)) {
    redeemed = redeemed.concat({ RedeemedPoints: 0, RedeemedValue: 0, ...r, RedeemedId: redeemedId, CanUse: true, Enabled: true });
  }
  return { ...s, view: { ...v, Applied: null, Redeemed: redeemed }, cart: s.cart && { ...s.cart, coupon: null }, focus: "u" + redeemedId };
}

// ---- derivations ----------------------------------------------------------------------------

/** isOpen: the compact view is collapsed until the shopper opens it. */
export const isOpen = (s: State, compact: boolean): boolean => (s.open === null ? !compact : s.open);

/** appliedOf is the cart's applied reward, when the platform says it is applied. */
export function appliedOf(s: State): (Applied & { CouponCode: string; Reward: Reward & { RedeemedId?: number } }) | null {
  const a = s.view && s.view.Applied;
  return a && a.Success && a.Reward && a.CouponCode ? (a as ReturnType<typeof appliedOf>) : null;
}

/** foreign is a coupon in the cart that the widget did not put there ("" when none). */
export function foreign(s: State): string {
  const c = s.cart && s.cart.coupon;
  const a = appliedOf(s);
  return c && !(a && sameCoupon(a.CouponCode, c)) ? c : "";
}

/** lockReason is why no reward can be chosen now, said once for all ("" when one can). */
export function lockReason(s: State, w: Words): string {
  const f = foreign(s);
  return appliedOf(s) ? w.onePerPurchase : f ? fill(w.ownCoupon, { code: f }) : s.busy ? w.busy : "";
}

/** NOT_ENROLLED (7) and NO_CUSTOMER (4) hold for every reward: the view says them once. */
export function notEnrolled(v: CheckoutView | null): boolean {
  const rs = (v && v.Rewards) || [];
  return rs.length > 0 && rs.every((r) => r.UseReason === 7 || r.UseReason === 4);
}

export interface Fmt {
  w: Words;
  /** a number in the shopper's language: "4.900" */
  num(n: number): string;
  /** an amount in the store's currency: "R$ 10,00" */
  money(n: number): string;
}

export function fmt(w: Words, lang: string, currency: string): Fmt {
  return {
    w,
    num: (n) => new Intl.NumberFormat(lang).format(n),
    money(n) {
      try {
        return new Intl.NumberFormat(lang, { style: "currency", currency }).format(n);
      } catch {
        return n.toFixed(2);
      }
    },
  };
}

export const points = (f: Fmt, n: number): string => f.num(n) + " " + (n === 1 ? f.w.point : f.w.points);

/** A title that is only an amount ("R$ 10,00", "10%", "$5"): the view says what it is. */
const bare = /^\D{0,4}[\d.,\s]+%?$/;

/** gives says what a reward gives: "R$ 10,00 de desconto", "10% de desconto", "R$ 25,00 de
 *  cashback"; a title that already says it is kept as it is. */
export function gives(r: Reward & { RedeemedValue?: number }, f: Fmt): string {
  const t = (r.Title || "").trim();
  if (r.Type === 3) {
    const v = r.RedeemedValue || r.Value;
    return v ? f.money(v) + " " + f.w.cashback : t;
  }
  return (r.Type === 0 || r.Type === 1) && bare.test(t) ? t + " " + f.w.off : t;
}

/** cost says what a reward costs: "100 pontos", "Sem custo em pontos", or, already redeemed,
 *  "Já é sua: sem custo". */
export function cost(r: Reward, f: Fmt, redeemed: boolean): string {
  return redeemed ? f.w.yours : r.NoPointCost || !r.Points ? f.w.free : points(f, r.Points);
}

/** missing says why a reward cannot be used, quantified when it can be: the points missing
 *  (from the balance), the amount missing (RemainingToUse, in the BFF's words when it gave
 *  them), else the BFF's reason. */
export function missing(r: Reward, balance: number | null | undefined, f: Fmt): string {
  if (r.Enabled === false) return r.DisabledReason || r.UseReasonMessage || "";
  if (r.UseReason === 1 && balance != null && r.Points > balance) return fill(f.w.short, { n: points(f, r.Points - balance) });
  if (r.UseReason === 2 && r.RemainingToUse) return r.UseReasonMessage || fill(f.w.short, { n: f.money(r.RemainingToUse) });
  return r.UseReasonMessage || "";
}

/** One line of the list: a reward, or a redeemed reward ready to be used again. */
export interface Row {
  key: string;
  r: Reward | RedeemedReward;
  redeemed: boolean;
  /** It can be used in this cart (the lock aside). */
  can: boolean;
  gives: string;
  cost: string;
  /** Why it cannot be used ("" when it can, or when the reason is said once for all). */
  why: string;
}

/** rows is the list the shopper chooses from: redeemed rewards first (they cost nothing), then
 *  the rewards that can be used, then the rest; the applied one is not listed. */
export function rows(s: State, f: Fmt): Row[] {
  const v = s.view;
  if (!v) return [];
  const a = appliedOf(s);
  const once = notEnrolled(v);
  const out: Row[] = [];
  for (const r of v.Redeemed || []) {
    if (a && a.Reward.RedeemedId === r.RedeemedId) continue;
    out.push({ key: "u" + r.RedeemedId, r, redeemed: true, can: r.CanUse, gives: gives(r, f), cost: cost(r, f, true), why: r.CanUse ? "" : missing(r, v.PointsBalance, f) });
  }
  for (const r of v.Rewards || []) {
    if (a && a.Reward.Id === r.Id) continue; // it is the applied one
    const can = r.Enabled !== false && r.CanUse;
    out.push({ key: "a" + r.Id, r, redeemed: false, can, gives: gives(r, f), cost: cost(r, f, false), why: can || (once && r.Enabled !== false) ? "" : missing(r, v.PointsBalance, f) });
  }
  return out.filter((x) => x.redeemed).concat(out.filter((x) => !x.redeemed && x.can), out.filter((x) => !x.redeemed && !x.can));
}

/** summary is the line a shopper reads at a glance: the applied reward, or how many rewards
 *  can be used now. */
export function summary(s: State, f: Fmt): string {
  const a = appliedOf(s);
  if (a) return f.w.applied + ": " + gives(a.Reward, f);
  if (notEnrolled(s.view)) return f.w.join;
  const n = rows(s, f).filter((r) => r.can).length;
  return foreign(s) || !n ? f.w.none : fill(f.w.now, { n: f.num(n) });
}

/** safeURL keeps http(s) links only (a tenant's JoinURL/TermsURL): never javascript:. */
export function safeURL(u: unknown): string {
  return typeof u === "string" && /^https?:\/\/[^\s"'<>]+$/i.test(u) ? u : "";
}

/** themeVars turns a theme into the custom properties the stylesheet falls back to (under the
 *  mount point's own --loyalty-* properties). Values that are not plain CSS tokens are left out. */
export function themeVars(...themes: (Theme | null | undefined)[]): [string, string][] {
  const t: Theme = Object.assign({}, ...themes.filter((x) => x && typeof x === "object"));
  const out: [string, string][] = [];
  for (const [k, name] of [["Accent", "--lw-a"], ["AccentText", "--lw-af"], ["Radius", "--lw-r"], ["Font", "--lw-f"]] as const) {
    const v = t[k];
    if (typeof v === "string" && /^[\w\s#%.,()'"-]{1,120}$/.test(v)) out.push([name, v]);
  }
  return out;
}
