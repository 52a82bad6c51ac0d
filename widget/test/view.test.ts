// The view renders any state alone: no network, no storefront.
import { failed, fmt, initial, loaded, noted, started, toggled, type State } from "../src/state";
import { view, type Act, type Ctx } from "../src/view";
import { applied, cart, f, out, poor, redeemed, rich, view as viewOf, words } from "./fixtures";
import { eq, ok, test } from "./t";

function render(s: State, c: Partial<Ctx> = {}): { box: HTMLElement; acts: Act[]; text: string; $: (sel: string) => HTMLElement | null; $$: (sel: string) => HTMLElement[] } {
  const acts: Act[] = [];
  const box = view(s, { f_: f, id_: "t", compact_: false, on_: (a) => acts.push(a), ...c });
  return { box, acts, text: box.textContent || "", $: (sel) => box.querySelector(sel), $$: (sel) => [...box.querySelectorAll<HTMLElement>(sel)] };
}

const use = (r: ReturnType<typeof render>, title: string) => r.$(`button[data-t="${title}"]`)!;

test("rich: balance prominent, how many can be used, one verb per reward, what each gives and costs", () => {
  const r = render(rich());
  eq(r.$("h2")!.textContent, "Clube Demo");
  eq(r.$(".bal")!.textContent, "5.000 pontos");
  eq(r.$(".sum")!.textContent, "3 para usar agora");
  eq(r.$$("li .t").map((e) => e.textContent), ["R$\u00a010,00 de desconto", "10% de desconto", "Cashback", "R$\u00a0100,00 de desconto", "20% de desconto"]);
  eq(r.$$("li .c").map((e) => e.textContent), ["100 pontos", "250 pontos", "Sem custo em pontos", "1.000 pontos", "2.000 pontos"]);
  eq(new Set(r.$$("li button").map((b) => b.textContent)).size, 1, "one verb");
  eq(use(r, "10%").getAttribute("aria-label"), "Usar 10% de desconto");
  eq([use(r, "10%").getAttribute("aria-disabled"), use(r, "R$ 100,00").getAttribute("aria-disabled")], [null, "true"]);
  eq(r.$("#" + use(r, "R$ 100,00").getAttribute("aria-describedby"))!.textContent, "Faltam R$ 200,20 em produtos para usar esta recompensa.");
  ok(!r.box.hidden && r.box.getAttribute("aria-labelledby") === "tt", "labelled by its heading");
});

test("pressing a usable reward asks to use it; a disabled one does nothing", () => {
  const r = render(rich());
  use(r, "10%").click();
  use(r, "R$ 100,00").click();
  eq(r.acts.map((a) => (a.t_ === "use" ? a.row_.key_ : a.t_)), ["a302"]);
});

test("poor: what is missing, quantified, under each reward", () => {
  const r = render(poor());
  eq(r.$(".sum")!.textContent, "1 para usar agora");
  eq(r.$$("li .m").map((e) => e.textContent), ["Faltam 130 pontos", "Faltam 880 pontos", "Você não tem cashback disponível no momento.", "Aviso da loja: Pausada pela loja."]);
});

test("not enrolled: one sentence and the join link, no balance, no reason repeated", () => {
  const r = render(out(), { theme_: { JoinURL: "https://loja.example/cadastro" } });
  eq(r.$$(".j").length, 1);
  eq(r.$(".j")!.textContent, "Você ainda não participa do programa. Participar");
  const a = r.$(".j a")!;
  eq([a.getAttribute("href"), a.getAttribute("target"), a.getAttribute("rel")], ["https://loja.example/cadastro", "_blank", "noopener"]);
  ok(!r.$(".bal") && !r.$(".sum"), "no balance, no count");
  ok(!r.text.includes("Você ainda não participa do programa.Você"), "said once");
  eq(r.$$("li .m").length, 1, "only the paused reward says why");
  eq(use(r, "10%").getAttribute("aria-describedby"), "tj", "the one sentence describes every button");
  ok(!render(out()).$(".j a"), "no link without a JoinURL");
  ok(!render(out(), { theme_: { JoinURL: "javascript:alert(1)" } }).$(".j a"), "never a javascript: link");
});

test("applied: the whole coupon, a quiet remove, the list locked with one reason", () => {
  const r = render(applied());
  eq(r.$(".ap strong")!.textContent, "10% de desconto");
  eq(r.$("[data-coupon]")!.textContent, "ABC123");
  const rm = r.$('[data-k="rm"]')!;
  eq([rm.textContent, rm.className], ["Remover recompensa", "q"]);
  eq(r.$$(".x").map((e) => e.textContent), ["Uma recompensa por compra: remova a aplicada para trocar."]);
  ok(r.$$("li button").every((b) => b.getAttribute("aria-disabled") === "true" && b.getAttribute("aria-describedby") !== null), "locked, each described");
  ok(!r.text.includes("Uma recompensa por compra: remova a aplicada para trocar.Uma"), "said once");
  eq([r.$(".ap")!.getAttribute("tabindex"), r.$(".ap")!.getAttribute("data-k")], ["-1", "ap"], "focusable after apply");
  rm.click();
  eq(r.acts, [{ t_: "rm" }]);
});

test("applied, the coupon left the cart: apply again; the shopper's own coupon took its place: theirs", () => {
  let r = render({ ...applied(), cart_: cart({ coupon: null }) });
  ok(r.text.includes("O cupom saiu do carrinho.") && r.$('[data-k="again"]'), "offers to apply again");
  r = render({ ...applied(), cart_: cart({ coupon: "BEMVINDO10" }) });
  ok(r.text.includes("O carrinho já tem o cupom BEMVINDO10") && !r.$('[data-k="again"]'), "never over the shopper's coupon");
});

test("a note goes next to what caused it, else at the top", () => {
  let r = render(noted(rich(), "A loja não aceitou o cupom e seus pontos foram devolvidos.", "a302"));
  const n = r.$("[data-note]")!;
  eq(n.closest("li")!.querySelector("button")!.getAttribute("data-t"), "10%");
  r = render(noted(rich(), "Os pontos voltaram.", "a999"));
  eq(r.$("[data-note]")!.parentElement, r.box, "unknown place: top");
  r = render(noted(applied(), "x", "ap"));
  ok(r.$(".ap [data-note]"), "in the applied box");
  eq(r.$$("[data-note]").length, 1);
});

test("offline: one notice, with or without a view", () => {
  let r = render(failed(initial));
  eq([r.box.hidden, r.text], [false, "As recompensas estão indisponíveis agora. Você pode finalizar a compra normalmente."]);
  r = render(failed(rich()));
  eq(r.$$("[data-note]").length, 1);
  ok(r.$$("li").length > 0, "the last list stays");
});

test("nothing to show: hidden", () => {
  ok(render(initial).box.hidden, "hidden");
});

test("busy: every action waits", () => {
  const r = render(started(applied()));
  eq(r.box.getAttribute("aria-busy"), "true");
  eq(r.$('[data-k="rm"]')!.getAttribute("aria-disabled"), "true");
});

test("compact: one summary line until opened", () => {
  const s = rich();
  let r = render(s, { compact_: true });
  const tg = r.$(".tg")!;
  eq([tg.textContent, tg.getAttribute("aria-expanded"), tg.getAttribute("aria-controls")], ["5.000 pontos · 3 para usar agora", "false", "tb"]);
  ok(r.$("#tb")!.hidden, "the list is hidden");
  tg.click();
  eq(r.acts, [{ t_: "toggle" }]);
  r = render(toggled(s, true), { compact_: true });
  ok(!r.$("#tb")!.hidden && r.$(".tg")!.getAttribute("aria-expanded") === "true", "opened");
  r = render(noted(s, "Os pontos voltaram.", "a302"), { compact_: true });
  eq(r.$("[data-note]")!.parentElement, r.box, "a note shows while collapsed");
  eq(render(applied(), { compact_: true }).$(".tg")!.textContent, "4.750 pontos · Recompensa aplicada: 10% de desconto");
});

test("theme: the tenant's, under the option's; terms link", () => {
  const s = { ...rich(), view_: { ...rich().view_!, Theme: { Accent: "#111111", Radius: "2px", TermsURL: "https://loja.example/regulamento" } } };
  const r = render(s, { theme_: { Accent: "#222222" } });
  eq([r.box.style.getPropertyValue("--lw-a"), r.box.style.getPropertyValue("--lw-r")], ["#222222", "2px"]);
  const a = r.$(".ft a")!;
  eq([a.textContent, a.getAttribute("href")], ["Regulamento", "https://loja.example/regulamento"]);
  ok(!render(rich()).$(".ft"), "no terms link without a TermsURL");
});

test("server strings are text, never HTML", () => {
  const evil = '<img src=x onerror="alert(1)">';
  const s = { ...rich(), view_: { ...rich().view_!, ProgramName: evil, Rewards: [{ ...rich().view_!.Rewards![0], Title: evil, UseReasonMessage: evil }] } };
  const r = render(s);
  eq(r.$$("img").length, 0);
  eq(r.$("h2")!.textContent, evil);
});

test("not enrolled on a phone: the sentence in the summary line, once", () => {
  const r = render(toggled(out(), true), { compact_: true, theme_: { JoinURL: "https://loja.example/cadastro" } });
  eq(r.$(".tg")!.textContent, "Você ainda não participa do programa.");
  eq(r.$(".j")!.textContent, "Participar");
  eq(r.text.split("Você ainda não participa do programa.").length - 1, 1);
  eq(r.$(`button[data-t="10%"]`)!.getAttribute("aria-describedby"), "tg");
});

test("in English and Spanish too", () => {
  const en = render(poor(), { f_: fmt(words("en"), "en", "USD") });
  eq([en.$(".bal")!.textContent, en.$(".sum")!.textContent, en.$$("li .m")[0].textContent, en.$$("li button")[0].textContent], ["120 points", "1 to use now", "130 points short", "Use"]);
  const es = render(applied(), { f_: fmt(words("es"), "es", "EUR") });
  eq([es.$(".ap .lbl")!.textContent, es.$(".ap strong")!.textContent, es.$('[data-k="rm"]')!.textContent], ["Recompensa aplicada", "10% de descuento", "Quitar recompensa"]);
  // A title the platform wrote as an amount reads as every other amount in that language.
  const ten = redeemed({ Id: 301, Type: 1, Title: "R$ 10,00", RedeemedId: 1002 });
  const money = (lang: "en" | "es") => render(loaded(initial, viewOf({ Redeemed: [ten] }), cart()), { f_: fmt(words(lang), lang, "BRL") }).$$("li .t")[0].textContent;
  eq([money("en"), money("es")], ["R$10.00 off", "10,00\u00a0BRL de descuento"]);
});
