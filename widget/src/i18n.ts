// The widget's own words, in the BFF's three languages. Reward reasons come localised from the
// BFF; these are the labels around them.

const pt = {
  title: "Suas recompensas",
  points: "pontos",
  choose: "Escolha uma recompensa para esta compra",
  redeemed: "Recompensas já resgatadas",
  use: "Usar",
  applied: "Recompensa aplicada",
  coupon: "Cupom",
  remove: "Remover recompensa",
  onePerPurchase: "Uma recompensa por compra: remova a aplicada para escolher outra.",
  appliedNow: "Recompensa aplicada: ",
  removedNow: "Recompensa removida. Seus pontos voltaram.",
  unavailable: "As recompensas estão indisponíveis agora. Você pode finalizar a compra normalmente.",
  noLongerFits: "Esta recompensa não vale mais para o carrinho atual: ",
  couponLeft: "O cupom desta recompensa saiu do carrinho.",
  applyAgain: "Aplicar de novo",
  busy: "Aguarde…",
  refused: "A loja não aceitou o cupom{msg} e seus pontos foram devolvidos.",
  refusedKept: "A loja não aceitou o cupom{msg}; seus pontos não se perderam: a recompensa continua resgatada.",
  removeLater: "O cupom saiu do carrinho. Seus pontos não se perderam: a recompensa continua resgatada e pode ser usada de novo, e devolvemos os pontos assim que a conexão voltar.",
  pointsBack: "Os pontos da recompensa removida voltaram.",
  ownCoupon: "O carrinho já tem o cupom {code}: remova-o para usar uma recompensa.",
};

type Words = typeof pt;

const en: Words = {
  title: "Your rewards",
  points: "points",
  choose: "Choose a reward for this purchase",
  redeemed: "Rewards you already redeemed",
  use: "Use",
  applied: "Reward applied",
  coupon: "Coupon",
  remove: "Remove reward",
  onePerPurchase: "One reward per purchase: remove the applied one to choose another.",
  appliedNow: "Reward applied: ",
  removedNow: "Reward removed. Your points are back.",
  unavailable: "Rewards are unavailable right now. You can complete your purchase as usual.",
  noLongerFits: "This reward no longer fits your cart: ",
  couponLeft: "This reward's coupon is no longer in the cart.",
  applyAgain: "Apply again",
  busy: "Please wait…",
  refused: "The store did not accept the coupon{msg} and your points were returned.",
  refusedKept: "The store did not accept the coupon{msg}; your points are not lost: the reward stays redeemed.",
  removeLater: "The coupon left your cart. Your points are not lost: the reward stays redeemed and can be used again, and we'll return the points as soon as the connection is back.",
  pointsBack: "The points of the removed reward are back.",
  ownCoupon: "Your cart already has the coupon {code}: remove it to use a reward.",
};

const es: Words = {
  title: "Tus recompensas",
  points: "puntos",
  choose: "Elige una recompensa para esta compra",
  redeemed: "Recompensas ya canjeadas",
  use: "Usar",
  applied: "Recompensa aplicada",
  coupon: "Cupón",
  remove: "Quitar recompensa",
  onePerPurchase: "Una recompensa por compra: quita la aplicada para elegir otra.",
  appliedNow: "Recompensa aplicada: ",
  removedNow: "Recompensa quitada. Tus puntos volvieron.",
  unavailable: "Las recompensas no están disponibles ahora. Puedes finalizar la compra normalmente.",
  noLongerFits: "Esta recompensa ya no vale para el carrito actual: ",
  couponLeft: "El cupón de esta recompensa salió del carrito.",
  applyAgain: "Aplicar de nuevo",
  busy: "Espera…",
  refused: "La tienda no aceptó el cupón{msg} y tus puntos fueron devueltos.",
  refusedKept: "La tienda no aceptó el cupón{msg}; tus puntos no se perdieron: la recompensa sigue canjeada.",
  removeLater: "El cupón salió del carrito. Tus puntos no se perdieron: la recompensa sigue canjeada y se puede volver a usar, y devolvemos los puntos en cuanto vuelva la conexión.",
  pointsBack: "Los puntos de la recompensa quitada volvieron.",
  ownCoupon: "El carrito ya tiene el cupón {code}: quítalo para usar una recompensa.",
};

export type { Words };

/** pickLang maps any BCP 47 tag to one of the three languages; pt-BR when unknown. */
export function pickLang(tag: string | undefined | null): "pt-BR" | "en" | "es" {
  const t = (tag || "").toLowerCase();
  if (t.startsWith("en")) return "en";
  if (t.startsWith("es")) return "es";
  return "pt-BR";
}

/** fill puts values into a sentence: {code} as it is, {msg} as " (msg)" or nothing. */
export function fill(text: string, v: { code?: string; msg?: string }): string {
  const msg = (v.msg || "").trim().replace(/[.!]+$/, "");
  return text.replace("{code}", v.code || "").replace("{msg}", msg ? " (" + msg + ")" : "");
}

export function words(lang: string): Words {
  return lang === "en" ? en : lang === "es" ? es : pt;
}
