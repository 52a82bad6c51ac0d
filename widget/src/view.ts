// The view: a function of the state that builds the widget's DOM, elements and text nodes only
// (never HTML). Every state renders alone, without the network or the storefront.
import { appliedOf, foreign, gives, isOpen, lockReason, notEnrolled, rows, safeURL, summary, themeVars, type Fmt, type Row, type State } from "./state";
import { fill } from "./i18n";
import { sameCoupon } from "./adapters";
import type { Theme } from "./types";

type Child = Node | string | null | false | undefined;

/** h makes an element; strings become text nodes, never HTML. */
export function h(tag: string, attrs: Record<string, string | false | undefined> | null, ...kids: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== false && v !== undefined) el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid) el.append(kid);
  return el;
}

/** What the shopper can do; the controller carries it out. */
export type Act = { t: "use"; row: Row } | { t: "rm" } | { t: "again" } | { t: "toggle" };

export interface Ctx {
  f: Fmt;
  /** Prefix of this widget's element ids. */
  id: string;
  /** Space is short (a phone): the view collapses to one line until opened. */
  compact: boolean;
  /** The mount option's theme (over the BFF's). */
  theme?: Theme;
  on(a: Act): void;
}

/** button is named by its text (or a label that starts with it); a disabled one stays focusable
 *  (aria-disabled) so the reason tied with aria-describedby is read out. */
function button(key: string, text: string, attrs: Record<string, string | false | undefined>, fn: () => void, enabled = true): HTMLElement {
  const b = h("button", { type: "button", "data-k": key, "aria-disabled": !enabled && "true", ...attrs }, text);
  b.addEventListener("click", (e) => {
    e.preventDefault();
    if (b.getAttribute("aria-disabled") !== "true") fn();
  });
  return b;
}

/** view renders a state into the widget's box. */
export function view(s: State, c: Ctx): HTMLElement {
  const { f, id, on } = c;
  const w = f.w;
  const v = s.view;
  const theme: Theme = Object.assign({}, v && v.Theme, c.theme);
  const open = isOpen(s, c.compact);
  const list = rows(s, f);
  const a = appliedOf(s);
  const note = s.note && s.note.text ? s.note : s.offline ? { text: w.unavailable, at: "" } : null;
  // A note goes next to what caused it, when that is on screen; else at the top.
  const at = note && open && (list.some((r) => r.key === note.at) || (note.at === "ap" && a)) ? note.at : "";
  const noteAt = (k: string) => note && at === k && h("p", { class: "n", "data-note": "" }, note.text);
  const kids: Child[] = [];
  if (v) {
    const out = notEnrolled(v);
    const lock = lockReason(s, w);
    const join = safeURL(theme.JoinURL);
    const bal = v.PointsBalance != null && !out;
    kids.push(h("div", { class: "hd" },
      h("h2", { id: id + "t" }, v.ProgramName || w.title),
      bal && !c.compact && h("p", { class: "bal" }, h("b", null, f.num(v.PointsBalance!)), " " + w.points)));
    if (c.compact) {
      kids.push(button("tg", (bal ? f.num(v.PointsBalance!) + " " + w.points + " · " : "") + summary(s, f), { class: "tg", id: id + "g", "aria-expanded": String(open), "aria-controls": id + "b" }, () => on({ t: "toggle" })));
    } else if (!a && !out) {
      kids.push(h("p", { class: "sum" }, summary(s, f)));
    }
    kids.push(noteAt(""));
    const body: Child[] = [];
    // Not enrolled: one sentence (in the summary line when compact) and the join link.
    if (out && (join || !c.compact)) body.push(h("p", { class: "j", id: id + "j" }, !c.compact && w.join + " ", join && h("a", { href: join, target: "_blank", rel: "noopener" }, w.joinLink)));
    if (a) body.push(appliedBox(s, c, a.CouponCode, noteAt("ap")));
    if (list.length) {
      if (lock && !s.busy) body.push(h("p", { class: "x", id: id + "l" }, lock));
      body.push(h("div", { role: "group", "aria-labelledby": id + "c" },
        h("p", { class: "lbl", id: id + "c" }, w.choose),
        h("ul", null, ...list.map((r) => {
          const why = r.why && id + r.key + "m";
          return h("li", { class: "r" },
            h("div", { class: "i" }, h("b", { class: "t" }, r.gives), h("span", { class: "c" }, r.cost), why && h("span", { class: "m", id: why }, r.why)),
            button(r.key, w.use, { "data-t": r.r.Title, "aria-label": w.use + " " + r.gives, "aria-describedby": why || (lock ? id + "l" : out ? id + (c.compact ? "g" : "j") : undefined) }, () => on({ t: "use", row: r }), r.can && !lock),
            noteAt(r.key));
        }))));
    }
    const terms = safeURL(theme.TermsURL);
    if (terms) body.push(h("p", { class: "ft" }, h("a", { href: terms, target: "_blank", rel: "noopener" }, w.terms)));
    kids.push(h("div", { id: id + "b", hidden: !open && "" }, ...body));
  } else {
    kids.push(noteAt(""));
  }
  const box = h("div", { class: "w", "aria-labelledby": v ? id + "t" : undefined, "aria-busy": String(s.busy) }, ...kids);
  box.hidden = !kids.some(Boolean);
  for (const [k, val] of themeVars(v && v.Theme, c.theme)) box.style.setProperty(k, val);
  return box;
}

/** appliedBox: the reward in the cart, its coupon whole (on one line), what went wrong
 *  with it, and a quiet remove. */
function appliedBox(s: State, c: Ctx, code: string, note: Child): HTMLElement {
  const { f, id, on } = c;
  const w = f.w;
  const a = appliedOf(s)!;
  const r = a.Reward;
  const kids: Child[] = [
    h("p", { class: "lbl", id: id + "a" }, w.applied),
    h("p", { class: "g" }, h("strong", null, gives((s.view!.Redeemed || []).find((x) => x.RedeemedId === r.RedeemedId) || r, f))),
    h("p", null, w.coupon + ": ", h("code", { "data-coupon": "" }, code)),
  ];
  const still = (s.view!.Redeemed || []).find((x) => x.RedeemedId === r.RedeemedId);
  if (still && !still.CanUse) kids.push(h("p", { class: "n" }, w.noLongerFits + (still.UseReasonMessage || "")));
  const mine = foreign(s);
  let again: Child = null;
  if (s.cart && !sameCoupon(s.cart.coupon, code)) {
    kids.push(h("p", { class: "n" }, w.couponLeft));
    // The shopper's own coupon took its place: theirs to keep; removing the reward only gives
    // the points back.
    if (mine) kids.push(h("p", { class: "n" }, fill(w.ownCoupon, { code: mine })));
    else again = button("again", w.applyAgain, {}, () => on({ t: "again" }), !s.busy);
  }
  kids.push(note, h("p", null, again, button("rm", w.remove, { class: "q" }, () => on({ t: "rm" }), !s.busy)));
  return h("div", { class: "ap", role: "group", "aria-labelledby": id + "a", tabindex: "-1", "data-k": "ap" }, ...kids);
}
