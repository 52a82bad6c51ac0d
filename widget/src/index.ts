// Entry point. One IIFE (esbuild), one global: window.LoyaltyWidget = { version, mount, refresh }.
// With a data-tenant attribute on its script tag, the widget mounts itself:
//
//   <script src="https://BFF/widget.js" data-tenant="KEY" data-platform="vtex" async></script>
//
// Integrator code may call LoyaltyWidget before this async script has arrived, through the
// queue stub (one line, see loyalty-widget.d.ts); its calls are replayed here, in order.
//
// Nothing here may throw into the page: a store must sell even when we fail.
import { Api } from "./api";
import { customAdapter, domAdapter, vtexAdapter } from "./adapters";
import { beacon } from "./beacon";
import { pickLang } from "./i18n";
import { DEFAULT_TARGET, fromScript, replay, validate, vendorOf, type Stub } from "./options";
import type { Adapter, MountOptions } from "./types";
import { widget } from "./widget";

declare const VERSION: string; // set by build.go

export interface Handle {
  refresh(): Promise<void>;
  destroy(): void;
}

// Where this script came from: the default BFF, also for LoyaltyWidget.mount. Read now,
// while the script runs; document.currentScript is null later.
const currentScript = document.currentScript as HTMLScriptElement | null;
const scriptBase = currentScript && currentScript.src ? new URL(".", currentScript.src).href : "";

const mounted = new Set<Handle>();

/** mount starts a widget. It throws a TypeError listing every problem of invalid options. A
 *  selector target is followed: when the page (a single-page checkout) replaces the element,
 *  or it appears later, the widget moves there with its state. */
function mount(o: MountOptions): Handle {
  const errs = validate(o || ({} as MountOptions));
  if (errs.length) throw new TypeError("LoyaltyWidget: " + errs.join("; "));
  const sel = typeof o.target === "object" ? "" : o.target || DEFAULT_TARGET;
  const find = () => (sel ? document.querySelector(sel) : o.target) as HTMLElement | null;
  if (!sel && !(find() instanceof HTMLElement)) throw new TypeError("LoyaltyWidget: target is not an element of the page");
  const platform = o.platform || "vtex";
  let adapter: Adapter;
  if (platform === "custom") adapter = customAdapter(o.adapter!);
  else if (platform === "dom") adapter = domAdapter(o.dom!, o.tenant);
  else adapter = vtexAdapter();
  const fromPlatform = adapter.locale ? adapter.locale() : {};
  // The store page's own language before the browser's: the widget speaks as the page does.
  const lang = pickLang(o.lang || fromPlatform.locale || document.documentElement.lang || navigator.language);
  const base = (o.bff || scriptBase).replace(/\/+$/, "");
  const w = widget(adapter, new Api(base, o.tenant, vendorOf(o), lang), {
    lang,
    currency: o.currency,
    platformCurrency: fromPlatform.currency,
    theme: o.theme,
    onApplied: o.onApplied,
    onRemoved: o.onRemoved,
    beacon: beacon(base, o.tenant, platform, o.beacon !== false),
  });
  const follow = () => {
    try {
      const el = find();
      if (el instanceof HTMLElement && el !== w.host) w.attach(el);
    } catch {
      // never into the page
    }
  };
  follow();
  // The checkout re-rendered (its mount point replaced) or changed step (#/cart, #/payment):
  // follow the mount point, and read the cart again on a new step.
  const mo = sel ? new MutationObserver(follow) : null;
  if (mo) mo.observe(document.documentElement, { childList: true, subtree: true });
  const onHash = () => {
    follow();
    w.refresh().catch(() => {});
  };
  addEventListener("hashchange", onHash);
  w.start().catch(() => {});
  const handle: Handle = {
    refresh: () => w.refresh(),
    destroy() {
      if (mo) mo.disconnect();
      removeEventListener("hashchange", onHash);
      mounted.delete(handle);
      w.destroy();
    },
  };
  mounted.add(handle);
  return handle;
}

/** refresh asks every mounted widget again (after a cart change the page knows of). */
async function refresh(): Promise<void> {
  await Promise.all([...mounted].map((m) => m.refresh()));
}

const api = { version: VERSION, mount, refresh };

const g = window as unknown as { LoyaltyWidget?: Stub | typeof api };
const stub = g.LoyaltyWidget as Stub | undefined;
if (!stub || Array.isArray(stub.q)) {
  g.LoyaltyWidget = api;
  if (stub) replay(stub.q, api as unknown as Record<string, unknown>);
  const script = currentScript;
  if (script && script.dataset.tenant && script.dataset.manual === undefined) {
    const auto = () => {
      const o = fromScript(script.dataset, scriptBase);
      try {
        mount(o);
      } catch (e) {
        // A misconfigured tag is the integrator's to fix; the shopper's checkout goes on.
        console.warn(String(e instanceof Error ? e.message : e));
        const report = beacon((o.bff || scriptBase).replace(/\/+$/, ""), o.tenant, String(o.platform), o.beacon !== false);
        if (report) report("opts", "mount");
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", auto, { once: true });
    else auto();
  }
}
