// Type declarations for the loyalty checkout widget's one global, window.LoyaltyWidget, for
// integrators writing TypeScript. The BFF serves this file beside the bundle
// (https://BFF/loyalty-widget.d.ts); reference it with
//
//   /// <reference path="./loyalty-widget.d.ts" />
//
// The widget's script is async. Code that may run before it has arrived starts with the queue
// stub, one line; its calls are recorded and replayed in order once the widget loads:
//
//   window.LoyaltyWidget=window.LoyaltyWidget||{q:[],mount:function(){this.q.push(["mount",arguments])},refresh:function(){this.q.push(["refresh",arguments])},orderPlaced:function(){this.q.push(["orderPlaced",arguments])}};
//
// (Under a strict Content-Security-Policy, put it at the top of your own script file rather
// than in an inline <script>.)

declare namespace LoyaltyWidget {
  /** How the widget reaches the store's cart. */
  type Platform = "vtex" | "dom" | "custom";

  type MaybePromise<T> = T | PromiseLike<T>;

  /** The shopper's storefront session, as the platform's secure login takes it. */
  interface Session {
    sessionToken: string;
    segmentToken: string;
  }

  /** What the widget needs to know of the cart. */
  interface Cart {
    /** The cart id (VTEX: orderFormId): the idempotency key of a redemption. */
    id: string;
    /** The items total, without shipping and discounts, in currency units (not cents). */
    value: number;
    /** The coupon in the cart, if any. */
    coupon: string | null;
  }

  /** platform "custom": the store's own callbacks. Each may return a value or a promise, and
   *  each is bounded by a 5-second timeout. */
  interface CustomAdapter {
    /** The logged-in shopper's session, or null: nobody logged in (the widget stays hidden). */
    session(): MaybePromise<Session | null>;
    cart(): MaybePromise<Cart | null>;
    /** Puts the code in the cart. Rejecting with an Error gives the store's reason; either
     *  way the widget then reads cart() to see whether the coupon is in. */
    applyCoupon(code: string): MaybePromise<void>;
    /** Takes the code out (the widget only asks for a code it put there itself). */
    removeCoupon(code: string): MaybePromise<void>;
    /** Calls back when the cart changes; returns a function that stops listening. */
    onChange?(callback: () => void): (() => void) | void;
  }

  /** platform "dom": CSS selectors of the store's cart page (same names as the data-
   *  attributes: couponInput is data-coupon-input). */
  interface DomOptions {
    /** The element showing the items subtotal, e.g. "R$ 1.234,56". */
    subtotal: string;
    /** The coupon field. */
    couponInput: string;
    /** The button that applies the field's code. Not needed on Magazord (vendor "magazord"),
     *  whose theme's Zord.checkout.addCupomDesconto() is called instead. */
    couponButton?: string;
    /** The button that removes the coupon (else Magazord's removeCupomDesconto(), else the
     *  field is emptied and applied). */
    couponRemove?: string;
    /** The element showing the applied coupon's code, and only it. */
    couponApplied?: string;
    /** Where the theme writes its coupon messages, read when it refuses one. */
    couponMessage?: string;
    /** Cookies holding the session the platform's secure login takes. */
    sessionCookie?: string;
    segmentCookie?: string;
    /** Or the session itself, when the store's server renders it into the page. */
    sessionToken?: string;
    segmentToken?: string;
    /** Required: the store's id for this cart (data-cart-id), new for every cart. It keys the
     *  redemption (the platform's OriginalId): a cart id used again after its order would
     *  carry the redemption into the next cart, so the widget refuses one whose order it was
     *  told of (LoyaltyWidget.orderPlaced). */
    cartId: string;
  }

  /** A store's look and links. The BFF sends the tenant's (the checkout view's Theme); this
   *  option goes over it; CSS custom properties on the mount point (--loyalty-accent, ...)
   *  go over both. */
  interface Theme {
    /** Accent colour: buttons, links, the balance. */
    Accent?: string;
    /** Text on the accent colour. */
    AccentText?: string;
    /** Corner radius, e.g. "8px". */
    Radius?: string;
    /** Font family, e.g. "Georgia, serif". */
    Font?: string;
    /** Where a shopper who is not in the programme joins it (http or https). */
    JoinURL?: string;
    /** The programme's terms (http or https). */
    TermsURL?: string;
  }

  interface MountOptions {
    /** The store's public key. */
    tenant: string;
    /** Default "vtex". */
    platform?: Platform;
    /** A CSS selector (followed: when the page replaces the element, or it appears later, the
     *  widget moves there) or an element. Default "#loyalty-widget". */
    target?: string | Element;
    /** The BFF's base URL. Default: where the widget's script came from. */
    bff?: string;
    /** "pt-BR", "en" or "es". Default: VTEX's cultureInfo, the page's <html lang>, the browser's. */
    lang?: string;
    /** ISO 4217 code for amounts. Default: the tenant's, VTEX's currencyCode, BRL. */
    currency?: string;
    /** The platform's name for the store's e-commerce in the secure login
     *  (/pub/widget/vendors/{vendor}/securelogin). Default "vtex" for vtex, "magazord" for dom,
     *  "custom" for custom. */
    vendor?: string;
    /** platform "custom" only. */
    adapter?: CustomAdapter;
    /** platform "dom" only. */
    dom?: DomOptions;
    theme?: Theme;
    /** false: never report failures to the BFF (data-beacon="off"). Default true. */
    beacon?: boolean;
    onApplied?(detail: AppliedDetail): void;
    onRemoved?(detail: AppliedDetail): void;
  }

  /** The detail of the loyalty:applied and loyalty:removed events. */
  interface AppliedDetail {
    couponCode: string;
    rewardId: number;
    redeemedId: number;
    title: string;
  }

  /** One mounted widget. */
  interface Handle {
    /** Reads the cart and the rewards again (after a cart change the page knows of). */
    refresh(): Promise<void>;
    /** Removes the widget and stops following the page. */
    destroy(): void;
  }

  /** window.LoyaltyWidget once the widget has loaded. */
  interface API {
    /** The bundle's version. */
    readonly version: string;
    /** Starts a widget. Throws a TypeError naming every problem of invalid options. */
    mount(options: MountOptions): Handle;
    /** Refreshes every mounted widget. */
    refresh(): Promise<void>;
    /** Tells the widget the order of a cart was placed (default: the cart it read last): that
     *  cart id is never used again, and the coupon the order used is no longer the widget's.
     *  Call it on the order confirmation (dom and custom platforms); on VTEX the widget sees the
     *  orderPlaced step itself. */
    orderPlaced(cartId?: string): void;
  }

  /** window.LoyaltyWidget before the widget has loaded: the queue stub. mount() and refresh()
   *  return nothing yet; use LoyaltyWidget.refresh() rather than a handle. */
  interface Stub {
    q: [string, IArguments][];
    mount(options: MountOptions): void;
    refresh(): void;
    orderPlaced(cartId?: string): void;
  }
}

interface Window {
  LoyaltyWidget?: LoyaltyWidget.API | LoyaltyWidget.Stub;
}

declare var LoyaltyWidget: LoyaltyWidget.API | LoyaltyWidget.Stub | undefined;

interface ElementEventMap {
  /** On the mount point, bubbling and composed: a reward's coupon is in the cart. */
  "loyalty:applied": CustomEvent<LoyaltyWidget.AppliedDetail>;
  /** A reward was removed (its points are back, or owed until the BFF answers). */
  "loyalty:removed": CustomEvent<LoyaltyWidget.AppliedDetail>;
}
