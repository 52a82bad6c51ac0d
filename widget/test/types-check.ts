// Type-level checks of loyalty-widget.d.ts (tsc only; no runtime): an integrator's code
// compiles against it, and its types and the widget's own agree both ways, so the published
// declarations cannot drift from the code.
import type { AppliedDetail, CustomAdapter, DomOptions, MountOptions, Theme } from "../src/types";
import type { Handle } from "../src/index";

// An integrator's code.
export function integrate(): void {
  const el = document.querySelector("#rewards")!;
  const lw = window.LoyaltyWidget;
  if (!lw) return;
  const h = lw.mount({
    tenant: "KEY",
    platform: "custom",
    target: el,
    lang: "en",
    theme: { Accent: "#5b21b6", JoinURL: "https://shop.example/join" },
    beacon: false,
    adapter: {
      session: () => ({ sessionToken: "s", segmentToken: "g" }),
      cart: async () => ({ id: "cart-1", value: 120, coupon: null }),
      applyCoupon: async () => {},
      removeCoupon: () => {},
      onChange: (cb) => {
        addEventListener("cart-changed", cb);
        return () => removeEventListener("cart-changed", cb);
      },
    },
    onApplied: (d) => console.log(d.couponCode, d.redeemedId),
  });
  if (h) void h.refresh();
  void lw.refresh();
  el.addEventListener("loyalty:applied", (e) => console.log(e.detail.title));
  if ("version" in lw) console.log(lw.version);
}

// Both ways: the declarations and the widget's types are the same shapes.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Same<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
export const checks: true[] = [
  true as Same<MountOptions, LoyaltyWidget.MountOptions>,
  true as Same<DomOptions, LoyaltyWidget.DomOptions>,
  true as Same<Theme, LoyaltyWidget.Theme>,
  true as Same<AppliedDetail, LoyaltyWidget.AppliedDetail>,
  true as Same<Handle, LoyaltyWidget.Handle>,
];
export const adapters: [CustomAdapter, LoyaltyWidget.CustomAdapter] = [{} as LoyaltyWidget.CustomAdapter, {} as CustomAdapter];
