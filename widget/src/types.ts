// Shapes of the BFF's answers (see the README) and of the adapters' cart.

export interface Reward {
  Id: number;
  Type: number;
  Title: string;
  Points: number;
  Description?: string | null;
  Enabled: boolean;
  DisabledReason?: string | null;
  CanUse: boolean;
  UseReason: number;
  UseReasonName?: string;
  UseReasonMessage?: string;
  RemainingToUse?: number | null;
  MinValueToUse?: number | null;
  NoPointCost?: boolean;
  /** What the reward gives, when the BFF says: the percentage (Type 0), the amount (Type 1) or
   *  the cashback usable now (Type 3). Without it the widget goes by the Title. */
  Value?: number | null;
}

export interface RedeemedReward extends Reward {
  RedeemedId: number;
  RedeemedPoints: number;
  RedeemedValue: number;
}

export interface Applied {
  Success: boolean;
  CouponCode: string | null;
  Reward: (Reward & { RedeemedId?: number }) | null;
}

export interface Problem {
  Status: number;
  ErrorCode: string;
  Message: string;
}

export interface CheckoutView {
  ProgramName: string | null;
  PointsBalance: number | null;
  Rewards: Reward[] | null;
  Redeemed: RedeemedReward[] | null;
  Applied: Applied | null;
  Missing: string[];
  Problems: Record<string, Problem>;
  /** The store's currency: amounts are printed in it, as the BFF prints its messages. */
  Currency?: string;
  /** The tenant's look and links; every field optional, the whole may be null or absent. */
  Theme?: Theme | null;
  /** Seconds since the oldest part was fetched: 0 when fresh; more when the store's budget was
   *  short and a stale listing answered (the widget shows it as it is: still the shopper's). */
  Age?: number;
  /** True when a part was derived by the BFF from the platform's earlier answers by the
   *  contract's rules instead of asked (exact by those rules): shown as any other view. */
  Derived?: boolean;
}

/** A store's theme, from its tenant settings (or the mount option). The mount point's own CSS
 *  custom properties (--loyalty-accent, ...) still win over it. */
export interface Theme {
  Accent?: string;
  AccentText?: string;
  Radius?: string;
  Font?: string;
  /** Where a shopper who is not in the programme joins it. */
  JoinURL?: string;
  /** The programme's terms. */
  TermsURL?: string;
}

export interface RedeemResult {
  Success: boolean;
  CouponCode: string;
  Reward: RedeemedReward;
}

/** What an adapter knows of the storefront's cart. */
export interface Cart {
  /** The cart id (VTEX orderFormId): the idempotency key of a redemption. */
  id: string;
  /** The items total, without shipping and discounts, in currency units. */
  value: number;
  /** The coupon in the cart, if any. */
  coupon: string | null;
}

export interface Session {
  sessionToken: string;
  segmentToken: string;
}

/** The sign-in's Item: the BFF's token and who it is for. */
export interface SignedIn {
  SecureToken: string;
  ExpiresAt?: string;
  UserId?: string;
}

/** POST /bff/v1/session's Item: the sign-in, the view (or why not) and the widget's words. */
export interface SessionAnswer {
  Session: SignedIn;
  View: CheckoutView | null;
  ViewError: Problem | null;
  /** The widget's sentences, by position (i18n.ts W). */
  Words: string[];
}

/** What the store did with a coupon the widget applied: true, the cart holds it now (the store
 *  confirmed it, not just answered); else the store's own explanation of its refusal (VTEX's
 *  messages[]), "" when it gave none. */
export type Outcome = true | string;

/** One storefront platform, as the widget sees it. Its names end in "_": the widget's own,
 *  shortened by the build (build.go). */
export interface Adapter {
  /** The shopper's storefront session, or null when nobody is logged in. */
  session_(): Promise<Session | null>;
  /** The cart, or null when there is none. */
  cart_(): Promise<Cart | null>;
  /** Puts a coupon in the cart and says whether the cart really holds it afterwards. */
  apply_(code: string): Promise<Outcome>;
  /** Takes the coupon out. The widget calls it only when cart_().coupon is this code: it never
   *  touches a coupon it did not put there. */
  remove_(code: string): Promise<void>;
  /** Calls back when the cart changes; returns a function that stops listening. */
  onChange_(cb: () => void): () => void;
  /** The shopper's locale and currency, when the platform knows them. */
  locale_?(): (string | undefined)[];
}

/** The integrator's callbacks for the custom adapter (see the README). */
export interface CustomAdapter {
  session(): Session | null | PromiseLike<Session | null>;
  cart(): Cart | null | PromiseLike<Cart | null>;
  applyCoupon(code: string): void | PromiseLike<void>;
  removeCoupon(code: string): void | PromiseLike<void>;
  onChange?(cb: () => void): (() => void) | void;
}

export interface MountOptions {
  tenant: string;
  platform?: "vtex" | "dom" | "custom";
  /** A selector or an element; default "#loyalty-widget". */
  target?: string | Element;
  /** The BFF's base URL; default: where widget.js came from. */
  bff?: string;
  lang?: string;
  currency?: string;
  adapter?: CustomAdapter;
  /** dom adapter: selectors and cart id, as in the data- attributes. */
  dom?: DomOptions;
  /** The platform's name for the store's e-commerce in the secure login
   *  (/vendors/{vendor}/securelogin): default "vtex" for vtex, "magazord" for dom. */
  vendor?: string;
  /** Defaults for the look and links until (or over) what the BFF sends. */
  theme?: Theme;
  /** false: send no error beacon (data-beacon="off"). */
  beacon?: boolean;
  onApplied?(detail: AppliedDetail): void;
  onRemoved?(detail: AppliedDetail): void;
}

export interface DomOptions {
  subtotal: string;
  couponInput: string;
  /** Required, except on Magazord (vendor "magazord"), whose Zord.checkout.addCupomDesconto() is used without it. */
  couponButton?: string;
  couponRemove?: string;
  couponApplied?: string;
  /** Where the theme writes its coupon messages (e.g. "invalid coupon"); read when it refuses. */
  couponMessage?: string;
  sessionCookie?: string;
  segmentCookie?: string;
  /** The shopper's session itself, when the page has it (rendered by the store's server). */
  sessionToken?: string;
  segmentToken?: string;
  /** The store's id for this cart, new for every cart (validated: the key of a redemption). */
  cartId: string;
}

export interface AppliedDetail {
  couponCode: string;
  rewardId: number;
  redeemedId: number;
  title: string;
}
