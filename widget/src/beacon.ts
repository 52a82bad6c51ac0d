// The error beacon: when the widget fails in a shopper's browser, it tells the BFF what failed
// and where, with no personal data (no shopper, cart, coupon or token), at most a few times per
// page. Sent with navigator.sendBeacon as text/plain (no preflight), else fetch keepalive;
// whatever the answer (the endpoint may be missing: 404), nothing is thrown or logged.
declare const VERSION: string; // set by build.go

const MAX = 3;
const sent: string[] = [];

/** beacon returns the reporter of one mounted widget, or undefined when it is turned off. */
export function beacon(base: string, tenant: string, platform: string, on: boolean): ((kind: string, at: string) => void) | undefined {
  if (!on) return undefined;
  return (kind, at) => {
    const key = kind + "@" + at;
    if (sent.length >= MAX || sent.includes(key)) return;
    sent.push(key);
    const url = base + "/bff/v1/beacon";
    const body = JSON.stringify({ v: VERSION, tenant, platform, kind, at });
    try {
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
        fetch(url, { method: "POST", body, keepalive: true, mode: "no-cors", credentials: "omit" }).catch(() => {});
      }
    } catch {
      // never into the page
    }
  };
}
