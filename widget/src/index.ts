// Entry point. One IIFE (esbuild), one global: window.LoyaltyWidget = { version, mount }.
// With a data-tenant attribute on its script tag, the widget mounts itself:
//
//   <script src="https://BFF/widget.js" data-tenant="KEY" data-platform="vtex" async></script>
//
// Nothing here may throw into the page: a store must sell even when we fail.
import { Api } from "./api";
import { customAdapter, domAdapter, vtexAdapter } from "./adapters";
import { pickLang } from "./i18n";
import type { Adapter, DomOptions, MountOptions } from "./types";
import { Widget } from "./widget";

declare const VERSION: string; // set by build.go

export interface Handle {
  refresh(): Promise<void>;
  destroy(): void;
}

const DEFAULT_TARGET = "#loyalty-widget";

// Where this script came from: the default BFF, also for LoyaltyWidget.mount. Read now,
// while the script runs; document.currentScript is null later.
const currentScript = document.currentScript as HTMLScriptElement | null;
const scriptBase = currentScript && currentScript.src ? new URL(".", currentScript.src).href : "";

/** validate returns every problem of the options, in words an integrator understands. */
function validate(o: MountOptions): string[] {
  const errs: string[] = [];
  if (typeof o.tenant !== "string" || !/^[\w.-]{1,64}$/.test(o.tenant)) errs.push("tenant (data-tenant) is required: the store's public key");
  const platform = o.platform || "vtex";
  if (platform !== "vtex" && platform !== "dom" && platform !== "custom") errs.push(`platform (data-platform) "${platform}" must be vtex, dom or custom`);
  if (o.target !== undefined && typeof o.target !== "string" && !(o.target instanceof Element)) errs.push("target must be a CSS selector or an element");
  if (o.bff !== undefined && !/^https?:\/\/[^/]+/.test(o.bff)) errs.push(`bff "${o.bff}" must be an absolute http(s) URL`);
  if (o.lang !== undefined && !/^(pt|en|es)\b/i.test(o.lang)) errs.push(`lang (data-lang) "${o.lang}" must be pt-BR, en or es`);
  if (o.currency !== undefined && !/^[A-Z]{3}$/.test(o.currency)) errs.push(`currency "${o.currency}" must be an ISO 4217 code such as BRL`);
  if (platform === "custom") {
    const a = o.adapter as unknown as Record<string, unknown> | undefined;
    for (const f of ["session", "cart", "applyCoupon", "removeCoupon"]) {
      if (!a || typeof a[f] !== "function") errs.push(`platform "custom" needs adapter.${f}() (see the README)`);
    }
  }
  if (platform === "dom") {
    const d = (o.dom || {}) as unknown as Record<string, unknown>;
    for (const [f, attr] of [["subtotal", "data-subtotal"], ["couponInput", "data-coupon-input"], ["couponButton", "data-coupon-button"]]) {
      if (typeof d[f] !== "string" || !d[f]) errs.push(`platform "dom" needs a selector for ${f} (${attr})`);
    }
  }
  for (const f of ["onApplied", "onRemoved"] as const) {
    if (o[f] !== undefined && typeof o[f] !== "function") errs.push(`${f} must be a function`);
  }
  return errs;
}

/** mount starts a widget. It throws a TypeError listing every problem of invalid options. */
function mount(o: MountOptions): Handle {
  const errs = validate(o || ({} as MountOptions));
  if (errs.length) throw new TypeError("LoyaltyWidget: " + errs.join("; "));
  const host = typeof o.target === "object" ? o.target : document.querySelector(o.target || DEFAULT_TARGET);
  if (!(host instanceof HTMLElement)) throw new TypeError(`LoyaltyWidget: mount point "${o.target || DEFAULT_TARGET}" not found`);
  const platform = o.platform || "vtex";
  let adapter: Adapter;
  if (platform === "custom") adapter = customAdapter(o.adapter!);
  else if (platform === "dom") adapter = domAdapter(o.dom!, o.tenant, (o.dom as DomOptions & { sessionToken?: string }).sessionToken, (o.dom as DomOptions & { segmentToken?: string }).segmentToken);
  else adapter = vtexAdapter();
  const fromPlatform = adapter.locale ? adapter.locale() : {};
  // The store page's own language before the browser's: the widget speaks as the page does.
  const lang = pickLang(o.lang || fromPlatform.locale || document.documentElement.lang || navigator.language);
  const base = (o.bff || scriptBase).replace(/\/+$/, "");
  const w = new Widget(host, adapter, new Api(base, o.tenant, platform, lang), { lang, currency: o.currency, platformCurrency: fromPlatform.currency, onApplied: o.onApplied, onRemoved: o.onRemoved });
  void w.start();
  return { refresh: () => w.refresh(), destroy: () => w.destroy() };
}

/** fromScript reads the options of the script tag's data- attributes. */
function fromScript(s: HTMLScriptElement): MountOptions {
  const d = s.dataset;
  const o: MountOptions = {
    tenant: d.tenant || "",
    platform: (d.platform || "vtex") as MountOptions["platform"],
    target: d.target || DEFAULT_TARGET,
    bff: d.bff || scriptBase,
    lang: d.lang,
    currency: d.currency,
  };
  if (o.platform === "dom") {
    o.dom = {
      subtotal: d.subtotal || "",
      couponInput: d.couponInput || "",
      couponButton: d.couponButton || "",
      couponRemove: d.couponRemove,
      couponApplied: d.couponApplied,
      couponMessage: d.couponMessage,
      sessionCookie: d.sessionCookie,
      segmentCookie: d.segmentCookie,
      cartId: d.cartId,
    };
    Object.assign(o.dom, { sessionToken: d.sessionToken, segmentToken: d.segmentToken });
  }
  return o;
}

const g = window as unknown as { LoyaltyWidget?: { version: string; mount: typeof mount } };
if (!g.LoyaltyWidget) {
  g.LoyaltyWidget = { version: VERSION, mount };
  const script = currentScript;
  if (script && script.dataset.tenant && script.dataset.manual === undefined) {
    const auto = () => {
      try {
        mount(fromScript(script));
      } catch (e) {
        // A misconfigured tag is the integrator's to fix; the shopper's checkout goes on.
        console.warn(String(e instanceof Error ? e.message : e));
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", auto, { once: true });
    else auto();
  }
}
