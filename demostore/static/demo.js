// The demo checkout page (VTEX-like): renders the cart from the orderForm, and re-renders
// whenever vtex.js says it changed (its jQuery event on window). Text only, no HTML strings
// (the page runs under Trusted Types).
//
// With data-spa on <body> (the /checkout/ page) it behaves as VTEX's checkout, a single-page
// app: each step (#/cart, #/email, #/payment) renders the order summary anew, so whatever a
// store's checkout6-custom.js put in the old one is gone and must be put back.
(function () {
  "use strict";
  var fmt = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
  var checkout = window.vtexjs.checkout;
  var $w = window.jQuery(window);
  function $(id) { return document.getElementById(id); }
  function money(cents) { return fmt.format(cents / 100); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function total(of, id) {
    var t = (of.totalizers || []).filter(function (x) { return x.id === id; })[0];
    return t ? t.value : 0;
  }

  var quantities = [];
  var pending = 0; // quantity updates under way
  var last = null; // the last orderForm seen

  function render(of) {
    last = of;
    if (!pending) quantities = of.items.map(function (it) { return it.quantity; });
    // Rows are built once and then updated in place, so focus and clicks survive updates.
    var body = $("items");
    if (body.children.length !== of.items.length) {
      body.replaceChildren.apply(body, of.items.map(function (it, i) {
        var tr = el("tr");
        var q = el("td");
        var minus = el("button", "−");
        minus.type = "button";
        minus.setAttribute("aria-label", "Menos " + it.name);
        minus.setAttribute("data-qty", i + ":-1");
        var n = el("span");
        n.setAttribute("data-quantity", it.id);
        var plus = el("button", "+");
        plus.type = "button";
        plus.setAttribute("aria-label", "Mais " + it.name);
        plus.setAttribute("data-qty", i + ":1");
        q.append(minus, " ", n, " ", plus);
        tr.append(el("td", it.name), el("td", money(it.price)), q, el("td"));
        return tr;
      }));
    }
    of.items.forEach(function (it, i) {
      var cells = body.children[i].children;
      cells[2].querySelector("[data-quantity]").textContent = String(it.quantity);
      cells[3].textContent = money(it.price * it.quantity);
    });
    var sub = total(of, "Items"), disc = total(of, "Discounts");
    $("subtotal").textContent = money(sub);
    $("subtotal").setAttribute("data-cart-subtotal", (sub / 100).toFixed(2));
    $("discount").textContent = money(disc);
    $("discount").setAttribute("data-cart-discount", (-disc / 100).toFixed(2));
    // The discount line is there only while something is taken off (a removed reward leaves none).
    $("discount-label").hidden = $("discount").hidden = !disc;
    $("total").textContent = money(of.value);
    $("total").setAttribute("data-cart-total", (of.value / 100).toFixed(2));
    var coupon = (of.marketingData && of.marketingData.coupon) || "";
    $("coupon").textContent = coupon;
    $("coupon").setAttribute("data-cart-coupon", coupon);
    $("cart-message").textContent = (of.messages || []).map(function (m) { return m.text; }).join(" ");
  }

  $w.on("orderFormUpdated.vtex", function (e, of) { render(of); });

  // Clicks are delegated from the document: the SPA replaces the summary and its buttons.
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target : e.target.parentElement;
    var b = t && t.closest("button");
    if (!b) return;
    if (b.hasAttribute("data-qty")) {
      var parts = b.getAttribute("data-qty").split(":");
      var i = +parts[0];
      // Count from what was asked last, not from the page: quick clicks must all count.
      quantities[i] = Math.max(0, quantities[i] + +parts[1]);
      pending++;
      var settle = function () { pending--; };
      checkout.updateItems([{ index: i, quantity: quantities[i] }]).then(settle, settle);
    } else if (b.id === "coupon-apply") {
      // The store's own coupon field, as every checkout has one: an empty code removes it.
      var code = $("coupon-input").value.trim();
      (code ? checkout.addDiscountCoupon(code) : checkout.removeDiscountCoupon()).catch(function () {});
    } else if (b.id === "place-order") {
      var cartId = last && last.orderFormId;
      checkout.finish().then(function (r) {
        var status = $("order-status");
        status.textContent = "Pedido " + r.orderId + " realizado! Total: " + money(r.total) + (r.dropped ? " (" + r.dropped + ")" : "") + " ";
        status.setAttribute("data-order-placed", r.orderId);
        var again = el("a", "Nova compra");
        again.href = "#/cart";
        status.append(again);
        // VTEX goes to its orderPlaced step, which the widget sees; an integrator's own page
        // tells the widget (LoyaltyWidget.orderPlaced) which cart's order it was.
        if (document.querySelector("script[data-platform=vtex]") || document.body.hasAttribute("data-spa")) location.hash = "/orderPlaced/" + r.orderId;
        else if (window.LoyaltyWidget && window.LoyaltyWidget.orderPlaced) window.LoyaltyWidget.orderPlaced(cartId);
      }).catch(function () {
        $("order-status").textContent = "Não foi possível finalizar agora.";
      });
    }
  });

  if (document.body.hasAttribute("data-spa")) {
    // The summary as the checkout renders it, before any store script touched it.
    var pristine = document.querySelector(".summary").cloneNode(true);
    var added = pristine.querySelector("#loyalty-widget");
    if (added) added.remove();
    var step = function () {
      var name = (location.hash.replace(/^#\//, "") || "cart").split("/")[0];
      $("step").textContent = "Etapa: " + name;
      $("step").setAttribute("data-step", name);
      document.querySelector(".cart").hidden = name === "email";
      var old = document.querySelector(".summary");
      old.replaceWith(pristine.cloneNode(true));
      if (last) render(last);
    };
    window.addEventListener("hashchange", step);
    step();
  }

  checkout.getOrderForm().catch(function () {});
})();
