// A stand-in for VTEX's vtex.js checkout module, enough for the widget's vtex adapter and this
// page: getOrderForm, addDiscountCoupon, removeDiscountCoupon, updateItems, and a Checkout
// constructor for integrations that want their own instance. As the real one, it broadcasts
// "orderFormUpdated.vtex" after every request that returns an orderForm, before resolving
// (here as a DOM CustomEvent on window with the orderForm in detail; VTEX uses jQuery).
(function () {
  "use strict";
  var API = "/api/checkout/pub/orderForm";
  var last = null;

  function request(path, body) {
    return fetch(API + path, {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      if (!res.ok) throw new Error("orderForm " + res.status);
      return res.json();
    }).then(function (of) {
      last = of;
      window.dispatchEvent(new CustomEvent("orderFormUpdated.vtex", { detail: of }));
      return of;
    });
  }

  function withId(fn) {
    return (last ? Promise.resolve(last) : request("")).then(function (of) { return fn(of.orderFormId); });
  }

  function Checkout() {}
  Checkout.prototype.getOrderForm = function () { return request(""); };
  Checkout.prototype.addDiscountCoupon = function (code) {
    return withId(function (id) { return request("/" + id + "/coupons", { text: code }); });
  };
  Checkout.prototype.removeDiscountCoupon = function () {
    return withId(function (id) { return request("/" + id + "/coupons", { text: "" }); });
  };
  Checkout.prototype.updateItems = function (items) {
    return withId(function (id) { return request("/" + id + "/items/update", { orderItems: items }); });
  };
  Checkout.prototype.finish = function () {
    return withId(function (id) {
      return fetch(API + "/" + id + "/finish", { method: "POST", credentials: "same-origin" })
        .then(function (res) { return res.json(); })
        .then(function (r) {
          last = r.orderForm;
          window.dispatchEvent(new CustomEvent("orderFormUpdated.vtex", { detail: r.orderForm }));
          return r;
        });
    });
  };

  window.vtexjs = { checkout: new Checkout(), Checkout: Checkout };
})();
