// The error beacon: when the widget fails in a shopper's browser, it tells the BFF what failed
// and where, with no personal data (no shopper, cart, coupon or token), at most a few times per
// page. Sent with navigator.sendBeacon as text/plain (no preflight), else fetch keepalive;
// whatever the answer (the endpoint may be missing: 404), nothing is thrown or logged.
declare const VERSION: string; // set by build.go

const sent: string[] = [];

/** A reporter: kind of failure, where. */
export type Report = (kind: string, at: string) => void;

/** beacon returns the reporter of one mounted widget; it sends nothing when turned off. */
export const beacon =
  (base: string, tenant: string, platform: string, on: boolean): Report =>
  (kind, at) => {
    const key = kind + "@" + at;
    if (!on || sent.length > 2 || sent.includes(key)) return;
    sent.push(key);
    const url = base + "/bff/v1/beacon";
    const body = JSON.stringify({ v: VERSION, tenant, platform, kind, at });
    try {
      if (!navigator.sendBeacon?.(url, body)) fetch(url, { method: "POST", body, keepalive: true, mode: "no-cors", credentials: "omit" }).catch(() => {});
    } catch {
      // never into the page
    }
  };
