// Money: reading a theme's amounts (the dom adapter) and printing them (the view).
import { parseMoney, sameCoupon } from "../src/adapters";
import { fmt } from "../src/state";
import { words } from "./fixtures";
import { eq, ok, test } from "./t";

test("parseMoney reads the amounts themes print", () => {
  const cases: [string, number][] = [
    ["R$ 1.234,56", 1234.56],
    ["R$\u00a099,80", 99.8],
    ["$1,234.56", 1234.56],
    ["1234.5", 1234.5],
    ["R$ 10", 10],
    ["1.234", 1234],
    ["1,234", 1234],
    ["R$ 0,99", 0.99],
    ["Subtotal: R$ 89,90.", 89.9],
    ["€ 12.345.678,9", 12345678.9],
    ["-R$ 5,00", -5],
  ];
  for (const [text, want] of cases) eq(parseMoney(text), want, text);
});

test("parseMoney says NaN when there is no amount", () => {
  for (const text of ["", "R$", "grátis", "–"]) ok(Number.isNaN(parseMoney(text)), `${text} should be NaN, is ${parseMoney(text)}`);
});

test("money prints in the shopper's language and the store's currency", () => {
  eq(fmt(words("pt-BR"), "pt-BR", "BRL").money_(1234.5), "R$\u00a01.234,50");
  eq(fmt(words("en"), "en", "USD").money_(1234.5), "$1,234.50");
  eq(fmt(words("es"), "es", "EUR").money_(10), "10,00\u00a0€");
  eq(fmt(words("pt-BR"), "pt-BR", "BRL").num_(4900), "4.900");
});

test("money falls back to plain digits for a currency Intl refuses", () => {
  eq(fmt(words("en"), "en", "not-a-currency").money_(10), "10.00");
});

test("sameCoupon ignores case and spaces, never matches nothing", () => {
  ok(sameCoupon(" abc123 ", "ABC123"), "case and spaces");
  ok(!sameCoupon("", ""), "empty");
  ok(!sameCoupon(null, "A"), "null");
  ok(!sameCoupon("A", "B"), "different");
});
