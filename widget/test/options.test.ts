// Mount options: checking them, reading them from a tag, the queue stub's replay.
import { fromScript, replay, validate, vendorOf } from "../src/options";
import type { MountOptions } from "../src/types";
import { eq, ok, test } from "./t";

const custom = { session: () => null, cart: () => null, applyCoupon: () => {}, removeCoupon: () => {} };
const noop = () => null;

test("valid options have no problem", () => {
  eq(validate({ tenant: "demo" }), []);
  eq(validate({ tenant: "demo", platform: "custom", adapter: custom, lang: "en", currency: "USD", bff: "https://bff.example", theme: { Accent: "#000" }, beacon: false }), []);
  eq(validate({ tenant: "demo", platform: "dom", dom: { subtotal: "#s", couponInput: "#c", cartId: "k1" } }), [], "Magazord needs no button");
  eq(validate({ tenant: "demo", platform: "dom", vendor: "tray", dom: { subtotal: "#s", couponInput: "#c", couponButton: "#b", cartId: "k1" } }), []);
  eq(validate({ tenant: "demo", target: document.createElement("div") }), []);
});

test("every problem is reported, together", () => {
  const errs = validate({ tenant: "", platform: "shopify", lang: "fr", currency: "real", bff: "bff.example", vendor: "Magazord!", beacon: "off", onApplied: "x" } as unknown as MountOptions);
  eq(errs.length, 8, errs.join(" | "));
  for (const word of ["tenant", "platform", "lang", "currency", "bff", "vendor", "beacon", "onApplied"]) {
    ok(errs.some((e) => e.startsWith(word)), `no problem named ${word}: ${errs.join(" | ")}`);
  }
});

test("a target that is no CSS selector is a problem, not an exception", () => {
  eq(validate({ tenant: "demo", target: "#bad[" }), ["target: a CSS selector or an element"]);
});

test("a custom platform names each missing callback", () => {
  const errs = validate({ tenant: "demo", platform: "custom", adapter: { session: noop } } as unknown as MountOptions);
  eq(errs, ['platform "custom": adapter.cart() is required (see the README)', 'platform "custom": adapter.applyCoupon() is required (see the README)', 'platform "custom": adapter.removeCoupon() is required (see the README)']);
});

test("the dom platform names each missing selector by its attribute", () => {
  eq(validate({ tenant: "demo", platform: "dom", vendor: "tray" }), [
    'platform "dom": a selector for subtotal (data-subtotal) is required',
    'platform "dom": a selector for couponInput (data-coupon-input) is required',
    'platform "dom": a selector for couponButton (data-coupon-button) is required',
    'platform "dom": the cart id (data-cart-id) is required: the store\'s id for this cart, new for every cart',
  ]);
});

test("the vendor of the secure login follows the platform", () => {
  eq(vendorOf({ tenant: "t" }), "vtex");
  eq(vendorOf({ tenant: "t", platform: "dom" }), "magazord");
  eq(vendorOf({ tenant: "t", platform: "custom" }), "custom");
  eq(vendorOf({ tenant: "t", platform: "dom", vendor: "tray" }), "tray");
});

test("fromScript reads a tag's data- attributes", () => {
  const s = document.createElement("script");
  Object.assign(s.dataset, { tenant: "demo", platform: "dom", subtotal: "#s", couponInput: "#c", sessionCookie: "sid", beacon: "off", lang: "es" });
  const o = fromScript(s.dataset, "https://bff.example/");
  eq([o.tenant, o.platform, o.target, o.bff, o.lang, o.beacon], ["demo", "dom", "#loyalty-widget", "https://bff.example/", "es", false]);
  eq([o.dom!.subtotal, o.dom!.couponInput, o.dom!.sessionCookie, o.dom!.couponButton], ["#s", "#c", "sid", undefined]);
  const v = document.createElement("script");
  v.dataset.tenant = "demo";
  const ov = fromScript(v.dataset, "");
  eq([ov.platform, ov.beacon, ov.dom], ["vtex", true, undefined]);
});

test("the queue stub's calls are replayed in order, and one failing stops none", () => {
  const seen: string[] = [];
  const warn = console.warn;
  const warned: unknown[] = [];
  console.warn = (m: unknown) => warned.push(m);
  try {
    const api = {
      mount: (o: { tenant: string }) => seen.push("mount " + o.tenant),
      refresh: () => seen.push("refresh"),
      boom: () => {
        throw new TypeError("LoyaltyWidget: bad");
      },
    };
    // As the one-line stub records them: [method, arguments].
    const stub: { q: [string, IArguments][] } = { q: [] };
    (function (..._a: unknown[]) { stub.q.push(["mount", arguments]); })({ tenant: "a" });
    (function (..._a: unknown[]) { stub.q.push(["boom", arguments]); })();
    (function (..._a: unknown[]) { stub.q.push(["refresh", arguments]); })();
    replay(stub.q, api);
  } finally {
    console.warn = warn;
  }
  eq(seen, ["mount a", "refresh"]);
  eq(warned, ["LoyaltyWidget: bad"]);
});
