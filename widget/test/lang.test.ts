// Language choice and the widget's words.
import { fill, pickLang, W, words } from "../src/i18n";
import { eq, ok, test } from "./t";

test("pickLang maps any tag to pt-BR, en or es", () => {
  const cases: [string | null | undefined, string][] = [
    ["pt-BR", "pt-BR"], ["pt-PT", "pt-BR"], ["PT", "pt-BR"], ["en", "en"], ["en-US", "en"], ["EN-gb", "en"],
    ["es", "es"], ["es-419", "es"], ["es-AR", "es"], ["fr-FR", "pt-BR"], ["", "pt-BR"], [null, "pt-BR"], [undefined, "pt-BR"],
  ];
  for (const [tag, want] of cases) eq(pickLang(tag), want, String(tag));
});

test("every sentence exists in every language, with the same placeholders", () => {
  const pt = words("pt-BR"), en = words("en"), es = words("es");
  const holes = (s: string) => (s.match(/\{\w+\}/g) || []).sort().join();
  eq(pt.length, W.count, "pt-BR: one sentence a line, as many as W names");
  for (let k = 0; k < W.count; k++) {
    for (const [lang, w] of [["en", en], ["es", es]] as const) {
      eq(w.length, W.count, `${lang}: as many sentences as W names`);
      ok(typeof w[k] === "string" && w[k].trim() !== "" && w[k] === w[k].trim(), `${lang} lacks sentence ${k}, or it has spaces around it`);
      eq(holes(w[k]), holes(pt[k]), `${lang} sentence ${k} placeholders`);
    }
    ok(pt[k].trim() !== "" && pt[k] === pt[k].trim(), `pt-BR lacks sentence ${k}, or it has spaces around it`);
    ok(holes(pt[k]).split(",").length === 1, `pt-BR sentence ${k}: fill() fills one placeholder at most`);
  }
});

test("the three languages differ where they should", () => {
  eq([words("pt-BR")[W.use], words("en")[W.use], words("es")[W.use]], ["Usar", "Use", "Usar"]);
  eq(words("xx")[W.title], "Suas recompensas", "unknown language");
  eq([words("pt-BR")[W.ownCoupon], words("en")[W.terms], words("es")[W.unavailable]], [
    "O carrinho já tem o cupom {code}: remova-o para usar uma recompensa.",
    "Terms",
    "Las recompensas no están disponibles ahora. Puedes finalizar la compra normalmente.",
  ], "each name finds its sentence");
});

test("fill puts values in, and a store's message in parentheses without its full stop", () => {
  eq(fill("Faltam {n}", "130 pontos"), "Faltam 130 pontos");
  eq(fill("A loja não aceitou o cupom{msg} e", "Cupom expirado."), "A loja não aceitou o cupom (Cupom expirado) e");
  eq(fill("A loja não aceitou o cupom{msg} e", "  "), "A loja não aceitou o cupom e");
  eq(fill("cupom {code}:", "X1"), "cupom X1:");
});
