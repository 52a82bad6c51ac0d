// The widget's own words, in the BFF's three languages: [pt-BR, en, es]. Reward reasons come
// localised from the BFF; these are the labels around them. {n}, {code} and {msg} are filled by
// fill().

const text = {
  title: ["Suas recompensas", "Your rewards", "Tus recompensas"],
  points: ["pontos", "points", "puntos"],
  point: ["ponto", "point", "punto"],
  now: ["{n} para usar agora", "{n} to use now", "{n} para usar ahora"],
  none: ["Nenhuma para usar agora", "None to use now", "Ninguna para usar ahora"],
  choose: ["Escolha uma recompensa para esta compra", "Choose a reward for this purchase", "Elige una recompensa para esta compra"],
  off: ["de desconto", "off", "de descuento"],
  cashback: ["de cashback", "cashback", "de cashback"],
  free: ["Sem custo em pontos", "No points needed", "Sin costo en puntos"],
  yours: ["Já é sua: sem custo", "Already yours: no cost", "Ya es tuya: sin costo"],
  use: ["Usar", "Use", "Usar"],
  short: ["Faltam {n}", "{n} short", "Te faltan {n}"],
  join: ["Você ainda não participa do programa.", "You have not joined the programme yet.", "Todavía no participas del programa."],
  joinLink: ["Participar", "Join", "Participar"],
  terms: ["Regulamento", "Terms", "Términos"],
  applied: ["Recompensa aplicada", "Reward applied", "Recompensa aplicada"],
  coupon: ["Cupom", "Coupon", "Cupón"],
  remove: ["Remover recompensa", "Remove reward", "Quitar recompensa"],
  onePerPurchase: ["Uma recompensa por compra: remova a aplicada para trocar.", "One reward per purchase: remove the applied one to switch.", "Una recompensa por compra: quita la aplicada para cambiar."],
  appliedNow: ["Recompensa aplicada: ", "Reward applied: ", "Recompensa aplicada: "],
  removedNow: ["Recompensa removida. Seus pontos voltaram.", "Reward removed. Your points are back.", "Recompensa quitada. Tus puntos volvieron."],
  unavailable: ["As recompensas estão indisponíveis agora. Você pode finalizar a compra normalmente.", "Rewards are unavailable right now. You can complete your purchase as usual.", "Las recompensas no están disponibles ahora. Puedes finalizar la compra normalmente."],
  noLongerFits: ["Não vale mais para este carrinho: ", "No longer fits this cart: ", "Ya no vale para este carrito: "],
  couponLeft: ["O cupom saiu do carrinho.", "The coupon left the cart.", "El cupón salió del carrito."],
  applyAgain: ["Aplicar de novo", "Apply again", "Aplicar de nuevo"],
  busy: ["Aguarde…", "Please wait…", "Espera…"],
  refused: ["A loja não aceitou o cupom{msg} e seus pontos foram devolvidos.", "The store did not accept the coupon{msg} and your points were returned.", "La tienda no aceptó el cupón{msg} y tus puntos fueron devueltos."],
  refusedKept: ["A loja não aceitou o cupom{msg}. Seus pontos não se perderam: a recompensa continua sua.", "The store did not accept the coupon{msg}. Your points are not lost: the reward stays yours.", "La tienda no aceptó el cupón{msg}. Tus puntos no se perdieron: la recompensa sigue siendo tuya."],
  removeLater: ["Cupom removido. Seus pontos não se perderam: voltam assim que a conexão voltar.", "Coupon removed. Your points are not lost: they come back once the connection does.", "Cupón quitado. Tus puntos no se perdieron: vuelven en cuanto vuelva la conexión."],
  pointsBack: ["Os pontos da recompensa removida voltaram.", "The points of the removed reward are back.", "Los puntos de la recompensa quitada volvieron."],
  ownCoupon: ["O carrinho já tem o cupom {code}: remova-o para usar uma recompensa.", "Your cart already has the coupon {code}: remove it to use a reward.", "El carrito ya tiene el cupón {code}: quítalo para usar una recompensa."],
};

export type Words = Record<keyof typeof text, string>;
export type Lang = "pt-BR" | "en" | "es";

/** pickLang maps any BCP 47 tag to one of the three languages; pt-BR when unknown. */
export function pickLang(tag: string | undefined | null): Lang {
  const t = (tag || "").toLowerCase();
  if (t.startsWith("en")) return "en";
  if (t.startsWith("es")) return "es";
  return "pt-BR";
}

/** fill puts values into a sentence: {n} and {code} as they are, {msg} as " (msg)" or nothing. */
export function fill(text: string, v: { n?: string; code?: string; msg?: string }): string {
  const msg = (v.msg || "").trim().replace(/[.!]+$/, "");
  return text.replace("{n}", v.n || "").replace("{code}", v.code || "").replace("{msg}", msg ? " (" + msg + ")" : "");
}

/** words are the sentences of one language. */
export function words(lang: string): Words {
  const i = lang === "en" ? 1 : lang === "es" ? 2 : 0;
  const w = {} as Words;
  for (const k in text) w[k as keyof Words] = text[k as keyof Words][i];
  return w;
}
