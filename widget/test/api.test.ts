// The BFF client's sign-in: the session answer's words, and what it keeps for the tab.
import { api, ApiError } from "../src/api";
import { W } from "../src/i18n";
import { words } from "./fixtures";
import { eq, ok, test } from "./t";

const cart = { id: "cart-1", value: 60, coupon: null };
const shopper = { sessionToken: "s-ana", segmentToken: "seg" };
const view = { Rewards: [], Redeemed: [], Applied: null, PointsBalance: 10, Missing: [], Problems: {}, Currency: "BRL" };

/** withFetch runs fn with window.fetch answering every call with body (as JSON), and gives
 *  back the paths asked for. */
async function withFetch(body: (path: string) => unknown, fn: () => Promise<void>): Promise<string[]> {
  const real = window.fetch;
  const asked: string[] = [];
  window.fetch = async (input: RequestInfo | URL) => {
    const path = new URL(String(input)).pathname;
    asked.push(path);
    return new Response(JSON.stringify({ HasError: false, Message: null, Item: body(path) }), { status: 200 });
  };
  try {
    await fn();
  } finally {
    window.fetch = real;
  }
  return asked;
}

const signedIn = { SecureToken: "tok", UserId: "ana@example.com", ExpiresAt: new Date(Date.now() + 36e5).toISOString() };

test("a session answer brings the words; the next page of the tab reuses them with the token", async () => {
  sessionStorage.clear();
  const a = api("http://bff.test", "demo-api-1", "vtex", "en");
  eq(a.words_.filter(Boolean), [words("en")[W.unavailable]], "before: the bundle's one sentence");
  a.login_(shopper);
  const asked = await withFetch(() => ({ Session: signedIn, View: view, ViewError: null, Words: words("en") }), async () => {
    eq((await a.checkout_(cart)).PointsBalance, 10);
  });
  eq(asked, ["/bff/v1/session"]);
  eq(a.words_, words("en"), "the BFF's words");

  const next = api("http://bff.test", "demo-api-1", "vtex", "en");
  next.login_(shopper);
  eq(next.words_, words("en"), "kept for the tab");
  eq(await withFetch(() => view, async () => void (await next.checkout_(cart))), ["/bff/v1/checkout"], "the view alone");

  const es = api("http://bff.test", "demo-api-1", "vtex", "es");
  es.login_(shopper);
  eq(es.words_.filter(Boolean).length, 1, "another language: not those words");
  eq(await withFetch(() => ({ Session: signedIn, View: view, ViewError: null, Words: words("es") }), async () => void (await es.checkout_(cart))),
    ["/bff/v1/session"], "another language signs in again, for its words");
});

test("a session answer without the words is a failure: the widget cannot speak", async () => {
  sessionStorage.clear();
  const a = api("http://bff.test", "demo-api-2", "vtex", "pt-BR");
  a.login_(shopper);
  let err: unknown = null;
  await withFetch(() => ({ Session: signedIn, View: view, ViewError: null, Words: words("pt-BR").slice(1) }), async () => {
    err = await a.checkout_(cart).then(() => null, (e) => e);
  });
  ok(err instanceof ApiError && err.status_ === 502, "want a 502 ApiError, got " + String(err));
  eq(a.words_.filter(Boolean), [words("pt-BR")[W.unavailable]], "the bundle's one sentence still");
  eq(a.user_, "", "its token not taken");
  const next = api("http://bff.test", "demo-api-2", "vtex", "pt-BR");
  next.login_(shopper);
  eq(next.user_, "", "nothing kept for the tab");
});

test("an order placed and a coupon confirmed in the cart are told to the BFF with the shopper's token, and not at all before sign-in", async () => {
  sessionStorage.clear();
  const a = api("http://bff.test", "demo-api-3", "vtex", "en");
  a.login_(shopper);
  eq(await withFetch(() => null, async () => a.note_("order", "cart-1")), [], "no token yet: nothing sent");
  await withFetch(() => ({ Session: signedIn, View: view, ViewError: null, Words: words("en") }), async () => void (await a.checkout_(cart)));
  const real = window.fetch;
  const sent: { path: string; init?: RequestInit }[] = [];
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ path: new URL(String(input)).pathname, init });
    return new Response(null, { status: 204 });
  };
  try {
    a.note_("order", "cart-1");
    a.note_("applied", "cart-1", "FID-10");
  } finally {
    window.fetch = real;
  }
  eq(sent.length, 2, "one call each");
  eq(sent[0].path, "/bff/v1/order");
  eq(sent[0].init?.body, JSON.stringify({ CheckoutCode: "cart-1" }));
  eq((sent[0].init?.headers as Record<string, string>)["X-Bq-SecureToken"], "tok", "the shopper's token");
  eq(sent[0].init?.keepalive, true, "it survives the page going away");
  eq(sent[1].path, "/bff/v1/applied");
  eq(sent[1].init?.body, JSON.stringify({ CheckoutCode: "cart-1", CouponCode: "FID-10" }));
});
