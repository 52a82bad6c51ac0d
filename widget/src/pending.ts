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

/** stored reads the JSON value kept under key, in localStorage (local) or sessionStorage;
 *  null when there is none or storage is unavailable (private mode). */
export function stored(local: boolean, key: string) {
  try {
    return JSON.parse((local ? localStorage : sessionStorage).getItem(key)!);
  } catch {
    return null;
  }
}

/** store keeps v under key (null: removes it); without storage, nothing is kept. */
export function store(local: boolean, key: string, v: unknown): void {
  try {
    const st = local ? localStorage : sessionStorage;
    if (v) st.setItem(key, JSON.stringify(v));
    else st.removeItem(key);
  } catch {
    // storage unavailable: what it would keep lives while this page does only
  }
}

export function loadPending(tenant: string): Pending[] {
  const v = stored(true, key(tenant));
  return Array.isArray(v) ? v.filter((p) => p && typeof p.u === "string" && typeof p.r === "number" && typeof p.c === "string") : [];
}

/** owe records the reversal of redeemedId as owed (p), or, without p, as owed no longer. */
export function owe(tenant: string, redeemedId: number, p?: Pending): void {
  const list = loadPending(tenant).filter((q) => q.r !== redeemedId).concat(p || []);
  store(true, key(tenant), list.length && list);
}
