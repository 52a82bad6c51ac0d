// Reversals still owed to a shopper. When "remove" took the coupon out of the cart but the BFF
// could not be reached to reverse the redemption, the reward stays redeemed (the points are not
// lost, it can be used again) and the reversal is kept here, in localStorage so that it
// survives the tab, and retried once the BFF answers again (the next load at the latest). The
// platform credits a reversal once, so a retry after a lost answer does not credit twice.

/** One reversal owed (stored: these short names are never renamed). */
export interface Pending {
  u: string; // the shopper (the platform's UserId): another shopper on this browser is not touched
  r: number; // RedeemedId to reverse
  c: string; // its coupon: if the shopper put it back in the cart, the reversal is dropped
}

const key = (tenant: string) => "loyalty-widget:reverse:" + tenant;

export function loadPending(tenant: string): Pending[] {
  try {
    const v = JSON.parse(localStorage.getItem(key(tenant)) || "[]");
    return Array.isArray(v) ? v.filter((p) => p && typeof p.u === "string" && typeof p.r === "number" && typeof p.c === "string") : [];
  } catch {
    return [];
  }
}

/** owe records the reversal of redeemedId as owed (p), or, without p, as owed no longer. */
export function owe(tenant: string, redeemedId: number, p?: Pending): void {
  const list = loadPending(tenant).filter((q) => q.r !== redeemedId).concat(p || []);
  try {
    if (list.length) localStorage.setItem(key(tenant), JSON.stringify(list));
    else localStorage.removeItem(key(tenant));
  } catch {
    // storage unavailable: the reversal is retried while this page lives only
  }
}
