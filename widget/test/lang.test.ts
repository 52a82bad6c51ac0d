// Language choice and the widget's words.
import { fill, pickLang, words } from "../src/i18n";
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
  for (const k of Object.keys(pt) as (keyof typeof pt)[]) {
    for (const [lang, w] of [["en", en], ["es", es]] as const) {
      ok(typeof w[k] === "string" && w[k] !== "", `${lang} lacks ${k}`);
      eq(holes(w[k]), holes(pt[k]), `${lang}.${k} placeholders`);
    }
    ok(pt[k] !== "", `pt-BR lacks ${k}`);
  }
});

test("the three languages differ where they should", () => {
  eq([words("pt-BR").use, words("en").use, words("es").use], ["Usar", "Use", "Usar"]);
  eq(words("xx").title, "Suas recompensas", "unknown language");
});

test("fill puts values in, and a store's message in parentheses without its full stop", () => {
  eq(fill("Faltam {n}", { n: "130 pontos" }), "Faltam 130 pontos");
  eq(fill("A loja não aceitou o cupom{msg} e", { msg: "Cupom expirado." }), "A loja não aceitou o cupom (Cupom expirado) e");
  eq(fill("A loja não aceitou o cupom{msg} e", { msg: "  " }), "A loja não aceitou o cupom e");
  eq(fill("cupom {code}:", { code: "X1" }), "cupom X1:");
});
