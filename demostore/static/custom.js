// An integrator's own mount of the loyalty widget (platform "custom"): the store's code
// hands the widget its session, its cart and how to apply a coupon. Here the cart is this
// demo's orderForm API; on another platform these callbacks would call its own.
(function () {
  "use strict";
  if (!window.LoyaltyWidget) return; // the widget could not load: the store sells anyway
  var tenant = document.currentScript.getAttribute("data-tenant");
  var checkout = window.vtexjs.checkout;
  function cookie(name) {
    var m = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return m ? decodeURIComponent(m.slice(name.length + 1)) : null;
  }
  var listeners = [];
  window.addEventListener("orderFormUpdated.vtex", function () {
    listeners.forEach(function (f) { f(); });
  });
  window.LoyaltyWidget.mount({
    tenant: tenant,
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
      applyCoupon: function (code) { return checkout.addDiscountCoupon(code); },
      removeCoupon: function () { return checkout.removeDiscountCoupon(); },
      onChange: function (cb) { listeners.push(cb); },
    },
    onApplied: function (d) { document.getElementById("integrator-log").textContent = "onApplied: " + d.title; },
    onRemoved: function (d) { document.getElementById("integrator-log").textContent = "onRemoved: " + d.title; },
  });
})();
