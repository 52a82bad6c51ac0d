// Language choice and the widget's words.
import { fill, full, pickLang, W, words as ownWords } from "../src/i18n";
import { words } from "./fixtures";
import { eq, ok, test } from "./t";

test("pickLang maps any tag to pt-BR, en or es", () => {
  const cases: [string | null | undefined, string][] = [
    ["pt-BR", "pt-BR"], ["pt-PT", "pt-BR"], ["PT", "pt-BR"], ["en", "en"], ["en-US", "en"], ["EN-gb", "en"],
    ["es", "es"], ["es-419", "es"], ["es-AR", "es"], ["fr-FR", "pt-BR"], ["", "pt-BR"], [null, "pt-BR"], [undefined, "pt-BR"],
  ];
  for (const [tag, want] of cases) eq(pickLang(tag), want, String(tag));
});

test("the BFF's words: one per W name, in W's order", () => {
  // The whole catalog (every language, every sentence, the same placeholders) is the BFF's to
  // check (bff/words_test.go); here, that the widget's names find their sentences.
  for (const lang of ["pt-BR", "en", "es"]) {
    eq(words(lang).length, W.count, lang);
    ok(full(words(lang)), lang + ": a whole set");
  }
  eq([words("pt-BR")[W.use], words("en")[W.use], words("es")[W.use]], ["Usar", "Use", "Usar"]);
  eq([words("pt-BR")[W.ownCoupon], words("en")[W.terms], words("es")[W.unavailable], words("pt-BR")[W.title]], [
    "O carrinho já tem o cupom {code}: remova-o para usar uma recompensa.",
    "Terms",
    "Las recompensas no están disponibles ahora. Puedes finalizar la compra normalmente.",
    "Suas recompensas",
  ], "each name finds its sentence");
});

test("before the BFF's words, the bundle's own: the BFF cannot be reached, in the page's language", () => {
  for (const lang of ["pt-BR", "en", "es"] as const) {
    const w = ownWords(lang);
    eq(w[W.unavailable], words(lang)[W.unavailable], lang + ": the BFF's sentence, word for word");
    eq(w.filter(Boolean).length, 1, lang + ": that one only");
    ok(!full(w), lang + ": not a whole set, so not kept with a token");
  }
  ok(!full(words("en").slice(1)), "one short");
  ok(!full(null) && !full({}) && !full(words("en").map((t, i) => (i ? t : 1))), "not an array of strings");
});

test("fill puts values in, and a store's message in parentheses without its full stop", () => {
  eq(fill("Faltam {n}", "130 pontos"), "Faltam 130 pontos");
  eq(fill("A loja não aceitou o cupom{msg} e", "Cupom expirado."), "A loja não aceitou o cupom (Cupom expirado) e");
  eq(fill("A loja não aceitou o cupom{msg} e", "  "), "A loja não aceitou o cupom e");
  eq(fill("cupom {code}:", "X1"), "cupom X1:");
});
