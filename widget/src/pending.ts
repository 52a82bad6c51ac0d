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

// ---- the coupons the widget put in, and the carts whose order was placed ------------------
// A coupon in the cart is taken out only when the widget put it there (kept here, in
// localStorage, so a reload or another tab of this browser still knows), and a cart id whose
// order was placed is never used again: no redemption is carried into a new cart.

/** One coupon the widget put in a cart (stored: short names). */
interface Mine {
  u: string; // the shopper
  c: string; // the coupon
}

const MINE = "loyalty-widget:mine:";
const PLACED = "loyalty-widget:placed";

const mineOf = (tenant: string): Mine[] => {
  const v = stored(true, MINE + tenant);
  return Array.isArray(v) ? v.filter((m) => m && typeof m.u === "string" && typeof m.c === "string") : [];
};

/** isMine says whether this browser's widget put coupon in a cart for shopper u. */
export const isMine = (tenant: string, u: string, coupon: string): boolean =>
  mineOf(tenant).some((m) => m.u === u && m.c.toUpperCase() === coupon.trim().toUpperCase());

/** anyMine says whether this browser's widget put in a coupon it has not taken out since. */
export const anyMine = (tenant: string): boolean => mineOf(tenant).length > 0;

/** mine records (in) or forgets (!in) a coupon the widget put in; the last 8 are kept. */
export function mine(tenant: string, u: string, coupon: string, put: boolean): void {
  const list = mineOf(tenant).filter((m) => m.c !== coupon);
  store(true, MINE + tenant, list.concat(put ? { u, c: coupon } : []).slice(-8));
}

/** placed is the ids of the carts whose order was placed, newest last (the last 20). */
export const placed = (): string[] => {
  const v = stored(true, PLACED);
  return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
};

/** place records a cart id whose order was placed. */
export const place = (id: string): void => store(true, PLACED, placed().filter((x) => x !== id).concat(id).slice(-20));

const LAST = "loyalty-widget:last:";

/** seen keeps the cart the widget read last (its id and coupon), for the order-placed step. */
export const seen = (tenant: string, id: string, coupon: string | null): void => store(true, LAST + tenant, { k: id, c: coupon || "" });

/** ordered records that the order of cart id (default: the cart read last) was placed: that id
 *  is never used again, and its coupon, consumed by the order, is no longer the widget's. It
 *  returns the id ("" when none is known). */
export function ordered(tenant: string, id?: string): string {
  const l = stored(true, LAST + tenant) || {};
  const k = id || l.k;
  if (typeof k !== "string" || !k) return "";
  place(k);
  if (l.c && k === l.k) mine(tenant, "", l.c, false);
  return k;
}
