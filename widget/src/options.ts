// Mount options: read from the script tag's data- attributes, and checked, both pure.
import type { DomOptions, MountOptions } from "./types";

export const DEFAULT_TARGET = "#loyalty-widget";

/** selector says whether s is a valid CSS selector (asked of an empty fragment, not the page). */
function selector(s: string): boolean {
  try {
    document.createDocumentFragment().querySelector(s);
    return true;
  } catch {
    return false;
  }
}

/** validate returns every problem of the options, in words an integrator understands. */
export function validate(o: MountOptions): string[] {
  const errs: string[] = [];
  const need = (ok: unknown, what: string) => ok || errs.push(what);
  const p = o.platform || "vtex";
  const t = o.target;
  need(typeof o.tenant === "string" && /^[\w.-]{1,64}$/.test(o.tenant), "tenant (data-tenant): the store's public key is required");
  need(/^(vtex|dom|custom)$/.test(p), `platform "${p}": vtex, dom or custom`);
  need(t === undefined || t instanceof Element || (typeof t === "string" && selector(t)), "target: a CSS selector or an element");
  // The optional strings: absent, or matching their pattern.
  for (const [k, re, what] of [
    ["bff", /^https?:\/\/[^/]+/, "an absolute http(s) URL"],
    ["lang", /^(pt|en|es)\b/i, "pt-BR, en or es"],
    ["currency", /^[A-Z]{3}$/, "an ISO 4217 code such as BRL"],
    ["vendor", /^[a-z0-9][a-z0-9-]{0,31}$/, "the platform's name for the store, such as vtex or magazord"],
  ] as const) {
    const v = o[k];
    need(v === undefined || (typeof v === "string" && re.test(v)), `${k} "${v}": ${what}`);
  }
  need(o.theme === undefined || (o.theme && typeof o.theme === "object"), 'theme: an object such as {"Accent": "#5b21b6"}');
  need(o.beacon === undefined || typeof o.beacon === "boolean", "beacon: true or false");
  for (const f of ["onApplied", "onRemoved"] as const) need(o[f] === undefined || typeof o[f] === "function", f + ": a function");
  if (p === "custom") {
    for (const f of ["session", "cart", "applyCoupon", "removeCoupon"] as const) {
      need(typeof o.adapter?.[f] === "function", `platform "custom": adapter.${f}() is required (see the README)`);
    }
  }
  if (p === "dom") {
    // Magazord's theme applies the field's code with Zord.checkout.addCupomDesconto(): no button needed.
    for (const f of ["subtotal", "couponInput"].concat(vendorOf(o) === "magazord" ? [] : ["couponButton"]) as (keyof DomOptions)[]) {
      need(o.dom?.[f], `platform "dom": a selector for ${f} (data-${f.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}) is required`);
    }
    // The key of a redemption: a page without it would carry one redemption from cart to cart.
    need(o.dom?.cartId, 'platform "dom": the cart id (data-cart-id) is required: the store\'s id for this cart, new for every cart');
  }
  return errs;
}

/** vendorOf is the platform's name for the store's e-commerce in the secure login. */
export const vendorOf = (o: MountOptions): string => o.vendor || (o.platform === "dom" ? "magazord" : o.platform || "vtex");

/** fromScript reads the options of a script tag's data- attributes. */
export function fromScript(d: DOMStringMap, scriptBase: string): MountOptions {
  const o: MountOptions = {
    tenant: d.tenant || "",
    platform: (d.platform || "vtex") as MountOptions["platform"],
    target: d.target || DEFAULT_TARGET,
    bff: d.bff || scriptBase,
    lang: d.lang,
    currency: d.currency,
    vendor: d.vendor,
    beacon: d.beacon !== "off",
  };
  // The dom adapter's options are the same names as the attributes (data-coupon-input: couponInput).
  if (o.platform === "dom") o.dom = { ...d } as unknown as DomOptions;
  return o;
}

/** The queue stub's shape: calls made before the script arrived, as [method, arguments]. */
export type Stub = { q?: [string, ArrayLike<unknown>][] };

/** warn tells the integrator on the console (never the shopper, never thrown into the page). */
export const warn = (e: unknown): void => console.warn(String(e instanceof Error ? e.message : e));

/** replay runs the calls the queue stub recorded, in order; one failing does not stop the rest. */
export function replay(q: Stub["q"], on: Record<string, unknown>): void {
  for (const [name, args] of q || []) {
    try {
      (on[name] as (...a: unknown[]) => unknown).apply(on, Array.from(args));
    } catch (e) {
      warn(e);
    }
  }
}
