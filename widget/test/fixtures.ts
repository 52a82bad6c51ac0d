// Checkout views as the BFF answers them for the demo's shoppers (sandbox seed), for the
// unit tests of the state and the view.
import { fmt, initial, loaded, type State } from "../src/state";
import type { Cart, CheckoutView, RedeemedReward, Reward } from "../src/types";

/** The BFF's words for the widget, by language (its defaults, bff.DefaultWords), set by the
 *  Go test that bundles the unit tests (widget_unit_test.go). */
declare const WORDS: Record<string, string[]>;

/** words are the BFF's sentences in a language, as a session answer brings them. */
export const words = (lang: string): string[] => WORDS[lang];

export const f = fmt(words("pt-BR"), "pt-BR", "BRL");

export function reward(r: Partial<Reward> & { Id: number }): Reward {
  return { Type: 1, Title: "R$ 10,00", Points: 100, Enabled: true, CanUse: true, UseReason: 0, ...r };
}

export const rewards = (): Reward[] => [
  reward({ Id: 301, Title: "R$ 10,00", Points: 100, MinValueToUse: 50 }),
  reward({ Id: 302, Type: 0, Title: "10%", Points: 250 }),
  reward({ Id: 304, Title: "R$ 100,00", Points: 1000, CanUse: false, UseReason: 2, RemainingToUse: 200.2, UseReasonMessage: "Faltam R$ 200,20 em produtos para usar esta recompensa." }),
  reward({ Id: 305, Type: 3, Title: "Cashback", Points: 0, NoPointCost: true }),
  reward({ Id: 306, Type: 0, Title: "20%", Points: 2000, Enabled: false, CanUse: false, DisabledReason: "Pausada pela loja." }),
];

export function view(v: Partial<CheckoutView> = {}): CheckoutView {
  return { ProgramName: "Clube Demo", PointsBalance: 5000, Rewards: rewards(), Redeemed: [], Applied: null, Missing: [], Problems: {}, Currency: "BRL", ...v };
}

export const cart = (c: Partial<Cart> = {}): Cart => ({ id: "cart-1", value: 99.8, coupon: null, ...c });

/** rich is Ana: 5000 points, most rewards usable. */
export const rich = (): State => loaded(initial, view(), cart());

/** poor is Bruno: 120 points. */
export function poor(): State {
  const rs = rewards().map((r) =>
    r.Type === 3 ? { ...r, CanUse: false, UseReason: 3, UseReasonMessage: "Você não tem cashback disponível no momento." }
    : r.Points > 120 && r.Enabled ? { ...r, CanUse: false, UseReason: 1, UseReasonMessage: "Você ainda não tem pontos suficientes para esta recompensa." } : r);
  return loaded(initial, view({ PointsBalance: 120, Rewards: rs }), cart());
}

/** out is Carla: not enrolled, every reward says so. */
export function out(): State {
  const rs = rewards().map((r) => ({ ...r, CanUse: false, UseReason: 7, UseReasonMessage: "Você ainda não participa do programa." }));
  return loaded(initial, view({ PointsBalance: 3000, Rewards: rs }), cart());
}

export function redeemed(r: Partial<RedeemedReward> = {}): RedeemedReward {
  return { ...reward({ Id: 302, Type: 0, Title: "10%", Points: 250 }), RedeemedId: 1001, RedeemedPoints: -250, RedeemedValue: 0, ...r };
}

/** applied is Ana with 10% in the cart. */
export function applied(): State {
  const r = redeemed();
  return loaded(initial, view({ PointsBalance: 4750, Redeemed: [r], Applied: { Success: true, CouponCode: "ABC123", Reward: r } }), cart({ coupon: "ABC123", value: 99.8 }));
}
