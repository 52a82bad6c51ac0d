// The view: a function of the state that builds the widget's DOM, elements and text nodes only
// (never HTML). Every state renders alone, without the network or the storefront.
import { appliedOf, foreign, gives, isOpen, lockReason, notEnrolled, rows, safeURL, summary, themeVars, type Fmt, type Row, type State } from "./state";
import { fill, W } from "./i18n";
import { sameCoupon } from "./adapters";
import type { Theme } from "./types";

type Child = Node | string | null | false | undefined;
type Attrs = Record<string, string | false | undefined> | null;

/** h makes an element ("p.n": a p of class n); strings become text nodes, never HTML. */
export function h(tag: string, attrs: Attrs, ...kids: Child[]): HTMLElement {
  const [name, cls] = tag.split(".");
  const el = document.createElement(name);
  if (cls) el.className = cls;
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== false && v !== undefined) el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid) el.append(kid);
  return el;
}

/** What the shopper can do; the controller carries it out. */
export type Act = { t_: "use"; row_: Row } | { t_: "rm" } | { t_: "again" } | { t_: "toggle" };

export interface Ctx {
  f_: Fmt;
  /** Prefix of this widget's element ids. */
  id_: string;
  /** Space is short (a phone): the view collapses to one line until opened. */
  compact_: boolean;
  /** The mount option's theme (over the BFF's). */
  theme_?: Theme;
  on_(a: Act): void;
}

/** button is named by its text (or a label that starts with it); a disabled one stays focusable
 *  (aria-disabled) so the reason tied with aria-describedby is read out. */
function button(key: string, text: string, attrs: Attrs, fn: () => void, enabled: unknown = true): HTMLElement {
  const b = h("button", { type: "button", "data-k": key, "aria-disabled": !enabled && "true", ...attrs }, text);
  b.addEventListener("click", (e) => {
    e.preventDefault();
    if (b.getAttribute("aria-disabled") !== "true") fn();
  });
  return b;
}

/** A link out of the checkout, in a new tab. */
const link = (href: string, text: string) => h("a", { href, target: "_blank", rel: "noopener" }, text);

/** view renders a state into the widget's box. */
export function view(s: State, c: Ctx): HTMLElement {
  const { f_: f, id_: id, on_: on, compact_: compact } = c;
  const w = f.w_;
  const v = s.view_;
  const theme: Theme = { ...v?.Theme, ...c.theme_ };
  const open = isOpen(s, compact);
  const list = rows(s, f);
  const a = appliedOf(s);
  const note = s.note_?.text_ ? s.note_ : s.offline_ ? { text_: w[W.unavailable], at_: "" } : null;
  // A note goes next to what caused it, when that is on screen; else at the top.
  const at = note && open && (list.some((r) => r.key_ === note.at_) || (note.at_ === "ap" && a)) ? note.at_ : "";
  const noteAt = (k: string) => note && at === k && h("p.n", { "data-note": "" }, note.text_);
  const kids: Child[] = [];
  if (v) {
    const out = notEnrolled(v);
    const lock = lockReason(s, w);
    const join = safeURL(theme.JoinURL);
    const terms = safeURL(theme.TermsURL);
    const bal = v.PointsBalance != null && !out && f.num_(v.PointsBalance);
    const body: Child[] = [];
    kids.push(h("div.hd", null, h("h2", { id: id + "t" }, v.ProgramName || w[W.title]), bal && !compact && h("p.bal", null, h("b", null, bal), " " + w[W.points])));
    kids.push(
      compact
        ? button("tg", (bal ? bal + " " + w[W.points] + " · " : "") + summary(s, f), { class: "tg", id: id + "g", "aria-expanded": String(open), "aria-controls": id + "b" }, () => on({ t_: "toggle" }))
        : !a && !out && h("p.sum", null, summary(s, f)),
      noteAt(""),
    );
    // Not enrolled: one sentence (in the summary line when compact) and the join link.
    if (out && (join || !compact)) body.push(h("p.j", { id: id + "j" }, !compact && w[W.notJoined] + " ", join && link(join, w[W.join])));
    if (a) body.push(appliedBox(s, c, a.CouponCode, noteAt("ap")));
    if (list.length) {
      if (lock && !s.busy_) body.push(h("p.x", { id: id + "l" }, lock));
      body.push(
        h("div", { role: "group", "aria-labelledby": id + "c" },
          h("p.lbl", { id: id + "c" }, w[W.choose]),
          h("ul", null, ...list.map((r) => {
            const why = r.why_ && id + r.key_ + "m";
            return h("li.r", null,
              h("div.i", null, h("b.t", null, r.gives_), h("span.c", null, r.cost_), why && h("span.m", { id: why }, r.why_)),
              button(r.key_, w[W.use], { "data-t": r.r_.Title, "aria-label": w[W.use] + " " + r.gives_, "aria-describedby": why || (lock ? id + "l" : out ? id + (compact ? "g" : "j") : undefined) }, () => on({ t_: "use", row_: r }), r.can_ && !lock),
              noteAt(r.key_));
          })),
        ),
      );
    }
    if (terms) body.push(h("p.ft", null, link(terms, w[W.terms])));
    kids.push(h("div", { id: id + "b", hidden: !open && "" }, ...body));
  } else {
    kids.push(noteAt(""));
  }
  const box = h("div.w", { "aria-labelledby": v ? id + "t" : undefined, "aria-busy": String(s.busy_) }, ...kids);
  box.hidden = !kids.some(Boolean);
  for (const [k, val] of themeVars(v?.Theme, c.theme_)) box.style.setProperty(k, val);
  return box;
}

/** appliedBox: the reward in the cart, its coupon whole (on one line), what went wrong
 *  with it, and a quiet remove. */
function appliedBox(s: State, c: Ctx, code: string, note: Child): HTMLElement {
  const { f_: f, id_: id, on_: on } = c;
  const w = f.w_;
  const r = appliedOf(s)!.Reward;
  const still = s.view_!.Redeemed?.find((x) => x.RedeemedId === r.RedeemedId);
  const mine = foreign(s);
  const left = s.cart_ && !sameCoupon(s.cart_.coupon, code);
  return h("div.ap", { role: "group", "aria-labelledby": id + "a", tabindex: "-1", "data-k": "ap" },
    h("p.lbl", { id: id + "a" }, w[W.applied]),
    h("p.g", null, h("strong", null, gives(still || r, f))),
    h("p", null, w[W.coupon] + ": ", h("code", { "data-coupon": "" }, code)),
    still && !still.CanUse && h("p.n", null, w[W.noLongerFits] + " " + (still.UseReasonMessage || "")),
    // The coupon left the cart. The shopper's own coupon took its place: theirs to keep;
    // removing the reward only gives the points back.
    left && h("p.n", null, w[W.couponLeft]),
    left && mine && h("p.n", null, fill(w[W.ownCoupon], mine)),
    note,
    h("p", null, left && !mine && button("again", w[W.applyAgain], null, () => on({ t_: "again" }), !s.busy_), button("rm", w[W.remove], { class: "q" }, () => on({ t_: "rm" }), !s.busy_)),
  );
}
