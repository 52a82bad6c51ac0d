// State transitions and what the view derives from a state.
import { applied as appliedT, appliedOf, outgrown, cost, failed, finished, foreign, gives, initial, isOpen, loaded, lockReason, missing, noted, notEnrolled, rows, safeURL, started, summary, themeVars, toggled, unapplied } from "../src/state";
import { W } from "../src/i18n";
import { applied, cart, f, out, poor, redeemed, reward, rich, view, words } from "./fixtures";
import { eq, ok, test } from "./t";

const w = words("pt-BR");

test("transitions: loaded, failed, started, finished, noted", () => {
  let s = loaded(initial, view(), cart());
  eq([s.offline_, s.busy_, s.note_], [false, false, null]);
  s = failed(s);
  ok(s.offline_ && s.view_, "failed keeps the view and is offline");
  s = loaded(s, view(), cart());
  ok(!s.offline_, "a working refresh ends offline");
  s = noted(s, "x", "a301");
  s = started(s);
  eq([s.busy_, s.note_], [true, null], "an action clears the last note");
  s = finished(noted(s, "y"));
  eq([s.busy_, s.note_], [false, { text_: "y", at_: "" }]);
  ok(initial.view_ === null && !initial.busy_, "initial is untouched");
});

test("applied puts the coupon in the view and the cart and asks for focus on it", () => {
  const s = appliedT(rich(), "CODE1", redeemed());
  eq([appliedOf(s)!.CouponCode, s.cart_!.coupon, s.focus_], ["CODE1", "CODE1", "ap"]);
  eq(rich().view_!.Applied, null, "the old state is unchanged");
});

test("unapplied lists the reward as redeemed, ready to use again, and clears the cart's coupon", () => {
  const s = unapplied(applied(), 1001);
  eq([s.view_!.Applied, s.cart_!.coupon, s.focus_], [null, null, "u1001"]);
  eq(s.view_!.Redeemed!.map((r) => [r.RedeemedId, r.CanUse]), [[1001, true]]);
  const fresh = unapplied({ ...applied(), view_: { ...applied().view_!, Redeemed: [] } }, 1001);
  eq(fresh.view_!.Redeemed!.length, 1, "added back when the list lacked it");
});

test("toggled opens the compact view and closes it again", () => {
  let s = rich();
  ok(!isOpen(s, true) && isOpen(s, false), "collapsed only when compact");
  s = toggled(s, true);
  ok(isOpen(s, true), "opened");
  s = toggled(s, true);
  ok(!isOpen(s, true), "closed");
});

test("foreign is a coupon the widget did not put there", () => {
  eq(foreign(rich()), "");
  eq(foreign({ ...rich(), cart_: cart({ coupon: "BEMVINDO10" }) }), "BEMVINDO10");
  eq(foreign(applied()), "", "its own coupon");
  eq(foreign({ ...applied(), cart_: cart({ coupon: "abc123 " }) }), "", "its own, as the store spells it");
});

test("lockReason says once why nothing can be chosen", () => {
  eq(lockReason(rich(), w), "");
  eq(lockReason(applied(), w), w[W.onePerPurchase]);
  eq(lockReason({ ...rich(), cart_: cart({ coupon: "X9" }) }, w), "O carrinho já tem o cupom X9: remova-o para usar uma recompensa.");
  eq(lockReason(started(rich()), w), w[W.wait]);
});

test("gives says what a reward gives", () => {
  eq(gives(reward({ Id: 1, Title: "R$ 10,00" }), f), "R$\u00a010,00 de desconto", "the platform's amount written by the one rule");
  eq(gives(reward({ Id: 1, Title: "R$ 1.000,00" }), f), "R$\u00a01.000,00 de desconto");
  eq(gives(reward({ Id: 1, Type: 0, Title: "10%" }), f), "10% de desconto");
  eq(gives(reward({ Id: 1, Type: 0, Title: "Desconto de 10% na compra" }), f), "Desconto de 10% na compra", "a title that says it");
  eq(gives(reward({ Id: 1, Type: 3, Title: "Cashback" }), f), "Cashback", "cashback, amount unknown");
  eq(gives(reward({ Id: 1, Type: 3, Title: "Cashback", Value: 25 }), f), "R$\u00a025,00 de cashback");
  eq(gives(redeemed({ Type: 3, Title: "Cashback", RedeemedValue: 12.5 }), f), "R$\u00a012,50 de cashback");
  eq(gives(reward({ Id: 1, Type: 5, Title: "Caneca grátis" }), f), "Caneca grátis");
});

test("cost says what a reward costs, or that it is already paid for", () => {
  eq(cost(reward({ Id: 1, Points: 1000 }), f, false), "1.000 pontos");
  eq(cost(reward({ Id: 1, Points: 1 }), f, false), "1 ponto");
  eq(cost(reward({ Id: 1, Points: 0 }), f, false), "Sem custo em pontos");
  eq(cost(reward({ Id: 1, Points: 50, NoPointCost: true }), f, false), "Sem custo em pontos");
  eq(cost(redeemed(), f, true), "Já é sua: sem custo");
});

test("missing quantifies what is missing", () => {
  eq(missing(reward({ Id: 1, Points: 250, CanUse: false, UseReason: 1, UseReasonMessage: "Sem pontos." }), 120, f), "Faltam 130 pontos");
  eq(missing(reward({ Id: 1, Points: 121, CanUse: false, UseReason: 1 }), 120, f), "Faltam 1 ponto");
  eq(missing(reward({ Id: 1, CanUse: false, UseReason: 1, UseReasonMessage: "Sem pontos." }), null, f), "Sem pontos.", "no balance: the BFF's words");
  eq(missing(reward({ Id: 1, CanUse: false, UseReason: 2, RemainingToUse: 10.1 }), 5000, f), "Faltam R$\u00a010,10");
  eq(missing(reward({ Id: 1, CanUse: false, UseReason: 2, RemainingToUse: 10.1, UseReasonMessage: "Só mais R$ 10,10!" }), 5000, f), "Só mais R$ 10,10!", "the tenant's words");
  eq(missing(reward({ Id: 1, Enabled: false, CanUse: false, DisabledReason: "Pausada." }), 5000, f), "Aviso da loja: Pausada.", "the store's own words, said as the store's");
  eq(missing(reward({ Id: 1, CanUse: false, UseReason: 99 }), 5000, f), "");
});

test("rows: redeemed first, then usable, then the rest; the applied one is not listed", () => {
  const s = loaded(initial, view({ Redeemed: [redeemed({ RedeemedId: 7, Id: 303, Title: "R$ 50,00" })] }), cart());
  eq(rows(s, f).map((r) => r.key_), ["u7", "a301", "a302", "a305", "a304", "a306"]);
  eq(rows(applied(), f).map((r) => r.key_), ["a301", "a305", "a304", "a306"], "10% is applied");
  const r304 = rows(rich(), f).find((r) => r.key_ === "a304")!;
  eq([r304.can_, r304.why_], [false, "Faltam R$ 200,20 em produtos para usar esta recompensa."]);
});

test("not enrolled is said once, not under every reward", () => {
  ok(notEnrolled(out().view_), "Carla is out");
  ok(!notEnrolled(poor().view_) && !notEnrolled(view({ Rewards: [] })), "others are in");
  for (const r of rows(out(), f)) eq(r.why_, r.key_ === "a306" ? "Aviso da loja: Pausada pela loja." : "", r.key_);
  eq(summary(out(), f), w[W.notJoined]);
});

test("a reward held as a free copy is listed once, the copy first", () => {
  const s = loaded(initial, view({ Rewards: [reward({ Id: 301, Title: "R$ 10,00", Points: 100 }), reward({ Id: 302, Type: 0, Title: "10%" })], Redeemed: [redeemed({ Id: 301, RedeemedId: 1001 })] }), cart());
  eq(rows(s, f).map((r) => r.key_), ["u1001", "a302"]);
});

test("outgrown: the applied reward the platform's re-check says no longer fits", () => {
  eq(outgrown(applied()), null, "it fits");
  const a = applied();
  const gone = { ...a, view_: { ...a.view_!, Redeemed: a.view_!.Redeemed!.map((r) => ({ ...r, CanUse: false, UseReason: 2 })) } };
  eq(outgrown(gone)?.RedeemedId, a.view_!.Applied!.Reward!.RedeemedId);
  eq(outgrown({ ...gone, view_: { ...gone.view_, Applied: null } }), null, "nothing applied");
  eq(outgrown({ ...a, view_: { ...a.view_!, Redeemed: null } }), null, "no re-check to go by");
});

test("summary: how many can be used now, or the applied reward", () => {
  eq(summary(rich(), f), "3 para usar agora");
  eq(summary(poor(), f), "1 para usar agora");
  eq(summary(applied(), f), "Recompensa aplicada: 10% de desconto");
  eq(summary({ ...rich(), cart_: cart({ coupon: "X" }) }, f), "Nenhuma para usar agora");
  eq(summary(loaded(initial, view({ Rewards: [] }), cart()), f), "Nenhuma para usar agora");
});

test("safeURL keeps http(s) links only", () => {
  eq(safeURL("https://loja.example/cadastro?x=1"), "https://loja.example/cadastro?x=1");
  eq(safeURL("http://loja.example"), "http://loja.example");
  for (const bad of ["javascript:alert(1)", "data:text/html,x", "//evil.example", "https://a b", 42, null, undefined]) eq(safeURL(bad), "", String(bad));
});

test("themeVars: the option over the tenant's theme, plain CSS values only", () => {
  eq(themeVars({ Accent: "#111", Radius: "4px" }, { Accent: "#222" }), [["--lw-a", "#222"], ["--lw-r", "4px"]]);
  eq(themeVars({ Font: "\"Segoe UI\", sans-serif", AccentText: "rgb(255, 255, 255)" }), [["--lw-af", "rgb(255, 255, 255)"], ["--lw-f", "\"Segoe UI\", sans-serif"]]);
  eq(themeVars({ Accent: "red;}:host{display:none" }, null, undefined), [], "no way out of the property");
  eq(themeVars(), []);
});
