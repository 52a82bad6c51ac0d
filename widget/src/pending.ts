// Reversals still owed to a shopper. When "remove" took the coupon out of the cart but the BFF
// could not be reached to reverse the redemption, the reward stays redeemed (the points are not
// lost, it can be used again) and the reversal is kept here, in localStorage so that it
// survives the tab, and retried once the BFF answers again (the next load at the latest). The
// platform credits a reversal once, so a retry after a lost answer does not credit twice.

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

function save(tenant: string, list: Pending[]): void {
  try {
    if (list.length) localStorage.setItem(key(tenant), JSON.stringify(list));
    else localStorage.removeItem(key(tenant));
  } catch {
    // storage unavailable: the reversal is retried while this page lives only
  }
}

export function addPending(tenant: string, p: Pending): void {
  save(tenant, loadPending(tenant).filter((q) => q.r !== p.r).concat(p));
}

export function dropPending(tenant: string, redeemedId: number): void {
  const list = loadPending(tenant);
  if (list.some((q) => q.r === redeemedId)) save(tenant, list.filter((q) => q.r !== redeemedId));
}
