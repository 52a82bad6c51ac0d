// Entry point. One IIFE (esbuild), one global: window.LoyaltyWidget = { version, mount, refresh }.
// With a data-tenant attribute on its script tag, the widget mounts itself:
//
//   <script src="https://BFF/widget.js" data-tenant="KEY" data-platform="vtex" async></script>
//
// Integrator code may call LoyaltyWidget before this async script has arrived, through the
// queue stub (one line, see loyalty-widget.d.ts); its calls are replayed here, in order.
//
// Nothing here may throw into the page: a store must sell even when we fail.
import { api as bffApi } from "./api";
import { customAdapter, domAdapter, vtexAdapter } from "./adapters";
import { beacon } from "./beacon";
import { pickLang } from "./i18n";
import { DEFAULT_TARGET, fromScript, replay, validate, vendorOf, warn, type Stub } from "./options";
import type { MountOptions } from "./types";
import { widget } from "./widget";
import { place } from "./pending";

declare const VERSION: string; // set by build.go

export interface Handle {
  refresh(): Promise<void>;
  destroy(): void;
}

// Where this script came from: the default BFF, also for LoyaltyWidget.mount. Read now,
// while the script runs; document.currentScript is null later.
const currentScript = document.currentScript as HTMLScriptElement | null;
const scriptBase = currentScript?.src ? new URL(".", currentScript.src).href : "";

const mounted = new Set<Handle & { p_(id?: string): void }>();

/** The BFF's base URL, without a trailing slash. */
const baseOf = (o: MountOptions) => (o.bff || scriptBase).replace(/\/+$/, "");

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
  const adapter = platform === "custom" ? customAdapter(o.adapter!) : platform === "dom" ? domAdapter(o.dom!) : vtexAdapter();
  const [locale, currency] = adapter.locale_?.() || [];
  // The store page's own language before the browser's: the widget speaks as the page does.
  const lang = pickLang(o.lang || locale || document.documentElement.lang || navigator.language);
  const base = baseOf(o);
  const w = widget(adapter, bffApi(base, o.tenant, vendorOf(o), lang), o, lang, currency, beacon(base, o.tenant, platform, o.beacon !== false));
  const follow = () => {
    try {
      const el = find();
      if (el instanceof HTMLElement && el !== w.host_) w.attach_(el);
    } catch {
      // never into the page
    }
  };
  follow();
  // The checkout re-rendered (its mount point replaced) or changed step (#/cart, #/payment):
  // follow the mount point, and read the cart again on a new step.
  const mo = new MutationObserver(follow);
  if (sel) mo.observe(document.documentElement, { childList: true, subtree: true });
  const onHash = () => {
    follow();
    w.refresh_().catch(() => {});
  };
  addEventListener("hashchange", onHash);
  w.start_().catch(() => {});
  const handle: Handle & { p_(id?: string): void } = {
    refresh: w.refresh_,
    p_: w.placed_,
    destroy() {
      mo.disconnect();
      removeEventListener("hashchange", onHash);
      mounted.delete(handle);
      w.destroy_();
    },
  };
  mounted.add(handle);
  return handle;
}

/** refresh asks every mounted widget again (after a cart change the page knows of). */
async function refresh(): Promise<void> {
  await Promise.all([...mounted].map((m) => m.refresh()));
}

/** orderPlaced tells the widget that the order of a cart (default: the cart it read last) was
 *  placed: the cart id is never used again and the coupon the order used is no longer the
 *  widget's (VTEX's order-placed step is seen without it). */
function orderPlaced(cartId?: string): void {
  if (typeof cartId === "string" && cartId) place(cartId);
  for (const m of mounted) m.p_(cartId);
}

const lw = { version: VERSION, mount, refresh, orderPlaced };

const g = window as unknown as { LoyaltyWidget?: Stub | typeof lw };
const stub = g.LoyaltyWidget as Stub | undefined;
if (!stub || Array.isArray(stub.q)) {
  g.LoyaltyWidget = lw;
  if (stub) replay(stub.q, lw as unknown as Record<string, unknown>);
  const data = currentScript?.dataset;
  // A tag with data- attributes mounts itself (without data-manual); one whose data-tenant is
  // missing or misspelled is told, as any invalid option: the console and a beacon.
  if (data && Object.keys(data).length && data.manual === undefined) {
    const auto = () => {
      const o = fromScript(data, scriptBase);
      try {
        mount(o);
      } catch (e) {
        // A misconfigured tag is the integrator's to fix; the shopper's checkout goes on.
        warn(e);
        beacon(baseOf(o), o.tenant, String(o.platform), o.beacon !== false)("opts", "mount");
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", auto, { once: true });
    else auto();
  }
}
