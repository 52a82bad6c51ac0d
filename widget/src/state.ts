// The widget's state and its pure parts: transitions (state in, state out) and what the view
// derives from a state. Nothing here touches the page, the network or the clock, so every
// state can be built and checked alone (widget/test/state.test.ts).
//
// Names ending in "_" are the widget's own: the build shortens them (build.go, MangleProps).
import { parseMoney, sameCoupon } from "./adapters";
import { fill, W, type Words } from "./i18n";
import type { Applied, Cart, CheckoutView, RedeemedReward, Reward, Theme } from "./types";

/** A sentence for the shopper about their last action, shown next to what caused it: at_ is a
 *  reward's key ("a301", "u1001"), "ap" for the applied reward, "" for the top. */
export interface Note {
  text_: string;
  at_: string;
}

export interface State {
  view_: CheckoutView | null;
  cart_: Cart | null;
  /** One action at a time: a double click redeems once. */
  busy_: boolean;
  note_: Note | null;
  /** The last refresh failed: one short notice, gone once one works. */
  offline_: boolean;
  /** The shopper opened (true) or closed (false) the compact view; null: as space allows. */
  open_: boolean | null;
  /** The key of the element to focus after the next render ("" none). */
  focus_: string;
}

export const initial: State = { view_: null, cart_: null, busy_: false, note_: null, offline_: false, open_: null, focus_: "" };

// ---- transitions ----------------------------------------------------------------------------

export const loaded = (s: State, view_: CheckoutView, cart_: Cart): State => ({ ...s, view_, cart_, offline_: false });
export const failed = (s: State): State => ({ ...s, offline_: true });
export const started = (s: State): State => ({ ...s, busy_: true, note_: null, focus_: "" });
export const finished = (s: State): State => ({ ...s, busy_: false });
export const noted = (s: State, text_: string, at_ = ""): State => ({ ...s, note_: { text_, at_ } });
export const toggled = (s: State, compact: boolean): State => ({ ...s, open_: !isOpen(s, compact), focus_: "tg" });

/** applied: the coupon is in the cart now; shown even if the refresh after it fails. */
export const applied = (s: State, code: string, r: RedeemedReward): State => ({
  ...s,
  view_: s.view_ && { ...s.view_, Applied: { Success: true, CouponCode: code, Reward: r } },
  cart_: s.cart_ && { ...s.cart_, coupon: code },
  focus_: "ap",
});

/** unapplied: what is true after the coupon left the cart without the BFF: nothing is applied,
 *  and the reward is among the redeemed ones, ready to be used again. */
export function unapplied(s: State, redeemedId: number): State {
  const v = s.view_;
  if (!v) return s;
  const r = v.Applied?.Reward;
  let redeemed = v.Redeemed || [];
  if (r && !redeemed.some((x) => x.RedeemedId === redeemedId)) {
    redeemed = redeemed.concat({ RedeemedPoints: 0, RedeemedValue: 0, ...r, RedeemedId: redeemedId, CanUse: true, Enabled: true });
  }
  return { ...s, view_: { ...v, Applied: null, Redeemed: redeemed }, cart_: s.cart_ && { ...s.cart_, coupon: null }, focus_: "u" + redeemedId };
}

// ---- derivations ----------------------------------------------------------------------------

/** isOpen: the compact view is collapsed until the shopper opens it. */
export const isOpen = (s: State, compact: boolean): boolean => s.open_ ?? !compact;

/** The applied reward, as appliedOf gives it: its coupon and reward are there. */
export type AppliedNow = Applied & { CouponCode: string; Reward: Reward & { RedeemedId?: number } };

/** appliedOf is the cart's applied reward, when the platform says it is applied. */
export function appliedOf(s: State): AppliedNow | null {
  const a = s.view_?.Applied;
  return a && a.Success && a.Reward && a.CouponCode ? (a as AppliedNow) : null;
}

/** outgrown is the applied reward when the platform's re-check for this cart says it no longer
 *  fits (its redeemed entry's CanUse is false), else null. */
export function outgrown(s: State): RedeemedReward | null {
  const id = appliedOf(s)?.Reward.RedeemedId;
  return (id && s.view_?.Redeemed?.find((r) => r.RedeemedId === id && !r.CanUse)) || null;
}

/** foreign is a coupon in the cart that the widget did not put there ("" when none). */
export function foreign(s: State): string {
  const c = s.cart_?.coupon;
  return c && !sameCoupon(appliedOf(s)?.CouponCode, c) ? c : "";
}

/** lockReason is why no reward can be chosen now, said once for all ("" when one can). */
export function lockReason(s: State, w: Words): string {
  const f = foreign(s);
  return appliedOf(s) ? w[W.onePerPurchase] : f ? fill(w[W.ownCoupon], f) : s.busy_ ? w[W.wait] : "";
}

/** NOT_ENROLLED (7) and NO_CUSTOMER (4) hold for every reward: the view says them once. */
export function notEnrolled(v: CheckoutView | null): boolean {
  const rs = v?.Rewards || [];
  return rs.length > 0 && rs.every((r) => r.UseReason === 7 || r.UseReason === 4);
}

export interface Fmt {
  w_: Words;
  /** a number in the shopper's language: "4.900" */
  num_(n: number): string;
  /** an amount in the store's currency: "R$ 10,00" */
  money_(n: number): string;
}

export const fmt = (w_: Words, lang: string, currency: string): Fmt => ({
  w_,
  num_: (n) => new Intl.NumberFormat(lang).format(n),
  money_(n) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency }).format(n);
    } catch {
      return n.toFixed(2);
    }
  },
});

export const points = (f: Fmt, n: number): string => f.num_(n) + " " + f.w_[n === 1 ? W.point : W.points];

/** gives says what a reward gives: "R$ 10,00 de desconto", "10% de desconto", "R$ 25,00 de
 *  cashback"; a title that already says it is kept as it is. A title that is only an amount
 *  ("R$ 10,00", "10%", "$5") gets the word, and an amount is read and written again by the one
 *  rule for money (Intl, as the BFF writes its amounts): en "R$10.00 off", not "R$ 10,00 off". */
export function gives(r: Reward & { RedeemedValue?: number }, f: Fmt): string {
  const t = (r.Title || "").trim();
  const v = r.RedeemedValue || r.Value;
  if (r.Type === 3) return v ? f.money_(v) + " " + f.w_[W.cashback] : t;
  if (![0, 1].includes(r.Type) || !/^\D{0,4}[\d.,\s]+%?$/.test(t)) return t;
  const n = parseMoney(t);
  return (r.Type === 1 && !t.endsWith("%") && n > 0 ? f.money_(n) : t) + " " + f.w_[W.discount];
}

/** cost says what a reward costs: "100 pontos", "Sem custo em pontos", or, already redeemed,
 *  "Já é sua: sem custo". */
export const cost = (r: Reward, f: Fmt, redeemed: boolean): string =>
  redeemed ? f.w_[W.alreadyYours] : r.NoPointCost || !r.Points ? f.w_[W.noPointCost] : points(f, r.Points);

/** missing says why a reward cannot be used, quantified when it can be: the points missing
 *  (from the balance), the amount missing (RemainingToUse, in the BFF's words when it gave
 *  them), else the BFF's reason. */
export function missing(r: Reward, balance: number | null | undefined, f: Fmt): string {
  const m = r.UseReasonMessage || "";
  const short = (n: string) => fill(f.w_[W.short], n);
  // A disabled reward's reason is the store's own text, in the store's language: said as the store's.
  return r.Enabled === false
    ? r.DisabledReason
      ? fill(f.w_[W.storeNote], r.DisabledReason)
      : m
    : r.UseReason === 1 && balance != null && r.Points > balance
      ? short(points(f, r.Points - balance))
      : r.UseReason === 2 && r.RemainingToUse
        ? m || short(f.money_(r.RemainingToUse))
        : m;
}

/** One line of the list: a reward, or a redeemed reward ready to be used again. */
export interface Row {
  key_: string;
  r_: Reward | RedeemedReward;
  redeemed_: boolean;
  /** It can be used in this cart (the lock aside). */
  can_: boolean;
  gives_: string;
  cost_: string;
  /** Why it cannot be used ("" when it can, or when the reason is said once for all). */
  why_: string;
}

/** rows is the list the shopper chooses from: redeemed rewards first (they cost nothing), then
 *  the rewards that can be used, then the rest; the applied one is not listed. */
export function rows(s: State, f: Fmt): Row[] {
  const v = s.view_;
  if (!v) return [];
  const a = appliedOf(s)?.Reward;
  const once = notEnrolled(v);
  const row = (r: Reward | RedeemedReward, redeemed_: boolean): Row => {
    // A redeemed reward is paid for: CanUse alone says whether this cart takes it.
    const can_ = r.CanUse && (redeemed_ || r.Enabled !== false);
    return {
      key_: redeemed_ ? "u" + (r as RedeemedReward).RedeemedId : "a" + r.Id,
      r_: r,
      redeemed_,
      can_,
      gives_: gives(r, f),
      cost_: cost(r, f, redeemed_),
      why_: can_ || (!redeemed_ && once && r.Enabled !== false) ? "" : missing(r, v.PointsBalance, f),
    };
  };
  const u = (v.Redeemed || []).filter((r) => a?.RedeemedId !== r.RedeemedId).map((r) => row(r, true));
  // The applied one is not listed, nor a reward the shopper already holds a free copy of:
  // the copy is listed first, and paying again for it would be points for nothing.
  const rs = (v.Rewards || []).filter((r) => a?.Id !== r.Id && !u.some((x) => x.r_.Id === r.Id)).map((r) => row(r, false));
  return u.concat(rs.filter((x) => x.can_), rs.filter((x) => !x.can_));
}

/** summary is the line a shopper reads at a glance: the applied reward, or how many rewards
 *  can be used now. */
export function summary(s: State, f: Fmt): string {
  const a = appliedOf(s);
  const w = f.w_;
  if (a) return w[W.applied] + ": " + gives(a.Reward, f);
  if (notEnrolled(s.view_)) return w[W.notJoined];
  const n = rows(s, f).filter((r) => r.can_).length;
  return foreign(s) || !n ? w[W.noneUsable] : fill(w[W.usableCount], f.num_(n));
}

/** safeURL keeps http(s) links only (a tenant's JoinURL/TermsURL): never javascript:. */
export const safeURL = (u: unknown): string => (typeof u === "string" && /^https?:\/\/[^\s"'<>]+$/i.test(u) ? u : "");

/** themeVars turns a theme into the custom properties the stylesheet falls back to (under the
 *  mount point's own --loyalty-* properties). Values that are not plain CSS tokens are left out. */
export function themeVars(...themes: (Theme | null | undefined)[]): [string, string][] {
  const t: Theme = Object.assign({}, ...themes.filter((x) => x && typeof x === "object"));
  const out: [string, string][] = [];
  for (const [k, name] of [["Accent", "a"], ["AccentText", "af"], ["Radius", "r"], ["Font", "f"]] as const) {
    const v = t[k];
    if (typeof v === "string" && /^[\w\s#%.,()'"-]{1,120}$/.test(v)) out.push(["--lw-" + name, v]);
  }
  return out;
}
