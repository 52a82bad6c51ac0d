// A stand-in for VTEX's vtex.js checkout module (github.com/vtex/vtex.js, src/checkout.coffee),
// written from its documented behaviour, so that code written for the real one (the widget's
// vtex adapter, this demo's page) meets the same surprises here:
//
// - getOrderForm(sections) answers from the instance's cached orderForm when every asked
//   section is present (no request, no event); else POST /api/checkout/pub/orderForm[/{id}]
//   ?refreshOutdatedData=true with {expectedOrderFormSections}.
// - Calls that change the cart (updateItems: POST .../items/update/, with its trailing slash;
//   addToCart; addDiscountCoupon / removeDiscountCoupon: POST .../coupons; sendAttachment)
//   send expectedOrderFormSections too, abort an earlier call to the same URL on the same
//   instance, and raise jQuery events on window only: checkoutRequestBegin.vtex before,
//   checkoutRequestEnd.vtex after, then orderFormUpdated.vtex with the orderForm once no call
//   of the instance is pending, before the caller's promise resolves.
// - The orderForm id comes from ?orderFormId=, the instance's cache, or the checkout.vtex.com
//   cookie, which is HttpOnly since 2023: a new instance must getOrderForm before it can
//   change the cart (else it throws, as the real one).
// - Coupon refusals are 200 with the coupon absent and the reason in messages[].
//
// VTEX's checkout loads jQuery; this page does not, so a tiny jQuery-compatible shim provides
// $(window).on/off/trigger with namespaced events (enough for vtex.js's events), nothing else.
(function () {
  "use strict";

  if (!window.jQuery) {
    var handlers = []; // {target, type, ns, fn}
    var split = function (ev) { var i = ev.indexOf("."); return i < 0 ? [ev, ""] : [ev.slice(0, i), ev.slice(i + 1)]; };
    var jq = function (target) {
      return {
        on: function (ev, fn) {
          var p = split(ev);
          handlers.push({ target: target, type: p[0], ns: p[1], fn: fn });
          return this;
        },
        off: function (ev, fn) {
          var p = split(ev);
          handlers = handlers.filter(function (h) {
            return !(h.target === target && h.type === p[0] && (!p[1] || h.ns === p[1]) && (!fn || h.fn === fn));
          });
          return this;
        },
        trigger: function (ev, args) {
          var p = split(ev);
          var event = { type: p[0], namespace: p[1], target: target };
          handlers.slice().forEach(function (h) {
            if (h.target === target && h.type === p[0] && (!p[1] || h.ns === p[1])) h.fn.apply(target, [event].concat(args || []));
          });
          return this;
        },
      };
    };
    window.jQuery = window.$ = jq;
  }
  var $ = window.jQuery;

  var BASE = "/api/checkout/pub/orderForm";
  var ALL = ["items", "totalizers", "clientProfileData", "shippingData", "paymentData", "sellers", "messages",
    "marketingData", "clientPreferencesData", "storePreferencesData", "giftRegistryData", "ratesAndBenefitsData",
    "openTextField", "commercialConditionData", "customData"];
  var EVENTS = { updated: "orderFormUpdated.vtex", begin: "checkoutRequestBegin.vtex", end: "checkoutRequestEnd.vtex" };

  function cookieOrderFormId() {
    var c = document.cookie.split("; ").filter(function (x) { return x.indexOf("checkout.vtex.com=") === 0; })[0];
    var m = c && /__ofid=([^&;]+)/.exec(c);
    return m ? m[1] : "";
  }

  function post(url, body, signal) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", signal: signal,
      headers: { "Content-Type": "application/json; charset=utf-8", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (res) {
      if (!res.ok) throw new Error("orderForm " + res.status);
      return res.json();
    });
  }

  function Checkout() {
    this.orderForm = undefined;
    this.orderFormId = undefined;
    this._pending = 0;
    this._inFlight = {};
  }

  Checkout.prototype._id = function () {
    return new URLSearchParams(location.search).get("orderFormId") || this.orderFormId || cookieOrderFormId() || "";
  };
  Checkout.prototype._url = function (path) {
    var id = this._id();
    if (!id) throw new Error("This method requires an OrderForm. Use getOrderForm beforehand.");
    return BASE + "/" + id + path;
  };
  Checkout.prototype._cache = function (of) {
    this.orderFormId = of.orderFormId;
    this.orderForm = of;
  };
  Checkout.prototype._broadcast = function (of) {
    if (this._pending === 0) $(window).trigger(EVENTS.updated, [of]);
  };
  Checkout.prototype._has = function (sections) {
    var of = this.orderForm;
    return !!of && sections.every(function (s) { return !!of[s]; });
  };

  // _update sends a call that changes the cart, with vtex.js's events and aborts.
  Checkout.prototype._update = function (url, body) {
    var self = this;
    var options = { url: url, type: "POST" };
    self._pending++;
    $(window).trigger(EVENTS.begin, [options]);
    if (self._inFlight[url]) self._inFlight[url].abort();
    var ctrl = new AbortController();
    self._inFlight[url] = ctrl;
    var settle = function () {
      if (self._inFlight[url] === ctrl) delete self._inFlight[url];
      self._pending--;
      $(window).trigger(EVENTS.end, [options]);
    };
    return post(url, body, ctrl.signal).then(function (of) {
      settle();
      self._cache(of);
      self._broadcast(of);
      return of;
    }, function (err) {
      settle();
      throw err;
    });
  };

  Checkout.prototype.getOrderForm = function (sections) {
    var self = this;
    sections = sections || ALL;
    if (self._has(sections)) return Promise.resolve(self.orderForm);
    var id = self._id();
    return post((id ? BASE + "/" + id : BASE) + "?refreshOutdatedData=true", { expectedOrderFormSections: sections }).then(function (of) {
      self._cache(of);
      self._broadcast(of);
      return of;
    });
  };
  Checkout.prototype.addToCart = function (items, sections) {
    return this._update(this._url("/items"), { orderItems: items, expectedOrderFormSections: sections || ALL });
  };
  Checkout.prototype.updateItems = function (items, sections, splitItem) {
    return this._update(this._url("/items/update/"), {
      orderItems: items, expectedOrderFormSections: sections || ALL, noSplitItem: splitItem === false,
    });
  };
  Checkout.prototype.removeItems = function (items, sections) {
    return this.updateItems((items || []).map(function (it) { return { index: it.index, quantity: 0 }; }), sections);
  };
  Checkout.prototype.addDiscountCoupon = function (code, sections) {
    return this._update(this._url("/coupons"), { text: code, expectedOrderFormSections: sections || ALL });
  };
  Checkout.prototype.removeDiscountCoupon = function (sections) {
    return this.addDiscountCoupon("", sections);
  };
  Checkout.prototype.sendAttachment = function (name, attachment, sections) {
    var body = Object.assign({}, attachment, { expectedOrderFormSections: sections || ALL });
    return this._update(this._url("/attachments/" + name), body);
  };
  Checkout.prototype.clearMessages = function (sections) {
    return post(this._url("/messages/clear"), { expectedOrderFormSections: sections || ALL });
  };
  // Not vtex.js: the demo store's "place the order", so the demo can end a purchase.
  Checkout.prototype.finish = function () {
    var self = this;
    return fetch(self._url("/finish"), { method: "POST", credentials: "same-origin" })
      .then(function (res) { return res.json(); })
      .then(function (r) {
        self._cache(r.orderForm);
        self._broadcast(r.orderForm);
        return r;
      });
  };

  window.vtexjs = window.vtexjs || {};
  window.vtexjs.Checkout = Checkout;
  window.vtexjs.checkout = new Checkout();
})();
