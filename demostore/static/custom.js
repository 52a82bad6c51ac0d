// An integrator's own mount of the loyalty widget (platform "custom"): the store's code hands
// the widget its session, its cart and how to apply a coupon. Here the cart is this demo's
// orderForm API; on another platform these callbacks would call its own.
//
// This script runs before the widget's async script has arrived, so it starts with the queue
// stub (the one line of the README): LoyaltyWidget.mount is recorded now and replayed, in
// order, when the widget loads. If the widget never loads, the store sells anyway.
window.LoyaltyWidget=window.LoyaltyWidget||{q:[],mount:function(){this.q.push(["mount",arguments])},refresh:function(){this.q.push(["refresh",arguments])}};
(function () {
  "use strict";
  var me = document.currentScript;
  var checkout = window.vtexjs.checkout;
  function cookie(name) {
    var m = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return m ? decodeURIComponent(m.slice(name.length + 1)) : null;
  }
  function log(text) {
    var el = document.getElementById("integrator-log");
    if (el) el.textContent = text;
  }
  var listeners = [];
  window.jQuery(window).on("orderFormUpdated.vtex", function () {
    listeners.forEach(function (f) { f(); });
  });
  var options = {
    tenant: me.getAttribute("data-tenant"),
    platform: "custom",
    target: "#loyalty-widget",
    adapter: {
      session: function () {
        var s = cookie("vtex_session"), g = cookie("vtex_segment");
        return s && g ? { sessionToken: s, segmentToken: g } : null;
      },
      cart: function () {
        return fetch("/api/checkout/pub/orderForm", { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (of) {
            var items = of.totalizers.filter(function (t) { return t.id === "Items"; })[0];
            return { id: of.orderFormId, value: (items ? items.value : 0) / 100,
                     coupon: (of.marketingData && of.marketingData.coupon) || null };
          });
      },
      applyCoupon: function (code) { return checkout.getOrderForm(["items"]).then(function () { return checkout.addDiscountCoupon(code); }); },
      removeCoupon: function () { return checkout.removeDiscountCoupon(); },
      onChange: function (cb) { listeners.push(cb); },
    },
    onApplied: function (d) { log("onApplied: " + d.title); },
    onRemoved: function (d) { log("onRemoved: " + d.title); },
  };
  // The demo's knobs: a tenant theme before the BFF sends one (?theme=demo), no beacon (?beacon=off).
  if (me.hasAttribute("data-theme")) options.theme = JSON.parse(me.getAttribute("data-theme"));
  if (me.getAttribute("data-beacon") === "off") options.beacon = false;
  window.LoyaltyWidget.mount(options);
})();
