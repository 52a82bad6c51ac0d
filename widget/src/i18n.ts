// The widget's words come from the BFF, in the shopper's language and with the store's own
// wording where it set some (TENANTS messages): the session answer's Words, kept with the
// token for the tab (api.ts). One catalog, the BFF's, holds every sentence a shopper reads.
// The bundle carries one sentence of its own, in each language: the one it shows when the BFF
// cannot be reached.
//
// W names the sentences by their position in Words, in the BFF's order (bff/messages.go
// widgetWords, append-only; a test checks that the two agree). esbuild inlines W's members as
// numbers. A sentence has at most one placeholder, {n}, {code}, {text} or {msg}, filled by fill().

export const enum W {
  title,
  points,
  point,
  usableCount,
  noneUsable,
  choose,
  discount,
  cashback,
  noPointCost,
  alreadyYours,
  use,
  short,
  notJoined,
  join,
  terms,
  applied,
  coupon,
  remove,
  onePerPurchase,
  removed,
  unavailable,
  noLongerFits,
  couponLeft,
  applyAgain,
  wait,
  refused,
  refusedKept,
  removedLater,
  pointsBack,
  ownCoupon,
  outgrown,
  movedAway,
  storeNote,
  /** how many sentences there are */
  count,
}

/** The sentences of one language, indexed by W. */
export type Words = string[];
export type Lang = "pt-BR" | "en" | "es";

/** pickLang maps any BCP 47 tag to one of the three languages; pt-BR when unknown. */
export function pickLang(tag: string | undefined | null): Lang {
  const t = (tag || "").toLowerCase();
  return t.startsWith("en") ? "en" : t.startsWith("es") ? "es" : "pt-BR";
}

/** fill puts a value into a sentence's one placeholder: {n} and {code} as it is, {msg} (a
 *  store's message) as " (msg)" without its full stop, or nothing. */
export const fill = (text: string, v = ""): string =>
  text.replace(/\{(\w+)\}/, (_, k) => (k !== "msg" ? v : (v = v.trim().replace(/[.!]+$/, "")) && " (" + v + ")"));

/** The sentence for a BFF that cannot be reached, in each language. */
const unreachable: Record<Lang, string> = {
  "pt-BR": "As recompensas estão indisponíveis agora. Você pode finalizar a compra normalmente.",
  en: "Rewards are unavailable right now. You can complete your purchase as usual.",
  es: "Las recompensas no están disponibles ahora. Puedes finalizar la compra normalmente.",
};

/** words are a language's sentences until the BFF's arrive: W.unavailable only. */
export function words(lang: Lang): Words {
  const w: Words = [];
  w[W.unavailable] = unreachable[lang];
  return w;
}

/** full says whether x is a whole set of sentences (from the BFF, or kept from it). */
export const full = (x: unknown): x is Words => Array.isArray(x) && x.length >= W.count && x.every((t) => typeof t === "string");
