// The widget's own words, in the BFF's three languages. Reward reasons come localised from the
// BFF; these are the labels around them. A sentence has at most one placeholder, {n}, {code}
// or {msg}, filled by fill().
//
// Each language is one sentence a line, in the order of W (esbuild inlines W's members as
// numbers, so the bundle carries no key names, and one language's sentences sit together,
// which compresses best). lang.test.ts checks that every language has every sentence, with
// the same placeholders.

export const enum W {
  title,
  points,
  point,
  now,
  none,
  choose,
  off,
  cashback,
  free,
  yours,
  use,
  short,
  join,
  joinLink,
  terms,
  applied,
  coupon,
  remove,
  onePerPurchase,
  removedNow,
  unavailable,
  noLongerFits,
  couponLeft,
  applyAgain,
  busy,
  refused,
  refusedKept,
  removeLater,
  pointsBack,
  ownCoupon,
  /** how many sentences a language has */
  count,
}

const pt = `Suas recompensas
pontos
ponto
{n} para usar agora
Nenhuma para usar agora
Escolha uma recompensa para esta compra
de desconto
de cashback
Sem custo em pontos
Já é sua: sem custo
Usar
Faltam {n}
Você ainda não participa do programa.
Participar
Regulamento
Recompensa aplicada
Cupom
Remover recompensa
Uma recompensa por compra: remova a aplicada para trocar.
Recompensa removida. Seus pontos voltaram.
As recompensas estão indisponíveis agora. Você pode finalizar a compra normalmente.
Não vale mais para este carrinho:
O cupom saiu do carrinho.
Aplicar de novo
Aguarde…
A loja não aceitou o cupom{msg} e seus pontos foram devolvidos.
A loja não aceitou o cupom{msg}. Seus pontos não se perderam: a recompensa continua sua.
Cupom removido. Seus pontos não se perderam: voltam assim que a conexão voltar.
Os pontos da recompensa removida voltaram.
O carrinho já tem o cupom {code}: remova-o para usar uma recompensa.`;

const en = `Your rewards
points
point
{n} to use now
None to use now
Choose a reward for this purchase
off
cashback
No points needed
Already yours: no cost
Use
{n} short
You have not joined the programme yet.
Join
Terms
Reward applied
Coupon
Remove reward
One reward per purchase: remove the applied one to switch.
Reward removed. Your points are back.
Rewards are unavailable right now. You can complete your purchase as usual.
No longer fits this cart:
The coupon left the cart.
Apply again
Please wait…
The store did not accept the coupon{msg} and your points were returned.
The store did not accept the coupon{msg}. Your points are not lost: the reward stays yours.
Coupon removed. Your points are not lost: they come back once the connection does.
The points of the removed reward are back.
Your cart already has the coupon {code}: remove it to use a reward.`;

const es = `Tus recompensas
puntos
punto
{n} para usar ahora
Ninguna para usar ahora
Elige una recompensa para esta compra
de descuento
de cashback
Sin costo en puntos
Ya es tuya: sin costo
Usar
Te faltan {n}
Todavía no participas del programa.
Participar
Términos
Recompensa aplicada
Cupón
Quitar recompensa
Una recompensa por compra: quita la aplicada para cambiar.
Recompensa quitada. Tus puntos volvieron.
Las recompensas no están disponibles ahora. Puedes finalizar la compra normalmente.
Ya no vale para este carrito:
El cupón salió del carrito.
Aplicar de nuevo
Espera…
La tienda no aceptó el cupón{msg} y tus puntos fueron devueltos.
La tienda no aceptó el cupón{msg}. Tus puntos no se perdieron: la recompensa sigue siendo tuya.
Cupón quitado. Tus puntos no se perdieron: vuelven en cuanto vuelva la conexión.
Los puntos de la recompensa quitada volvieron.
El carrito ya tiene el cupón {code}: quítalo para usar una recompensa.`;

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

/** words are the sentences of one language. */
export const words = (lang: string): Words => (lang === "en" ? en : lang === "es" ? es : pt).split("\n");
