// The demo checkout page: renders the cart from the orderForm, and re-renders whenever
// vtex.js says it changed. Text only, no HTML strings (the page runs under Trusted Types).
(function () {
  "use strict";
  var fmt = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
  var checkout = window.vtexjs.checkout;
  function $(id) { return document.getElementById(id); }
  function money(cents) { return fmt.format(cents / 100); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function total(of, id) {
    var t = (of.totalizers || []).filter(function (x) { return x.id === id; })[0];
    return t ? t.value : 0;
  }

  function render(of) {
    var rows = of.items.map(function (it, i) {
      var tr = el("tr");
      tr.appendChild(el("td", it.name));
      tr.appendChild(el("td", money(it.price)));
      var q = el("td");
      var minus = el("button", "−");
      minus.type = "button";
      minus.setAttribute("aria-label", "Menos " + it.name);
      minus.setAttribute("data-qty", i + ":-1");
      var n = el("span", String(it.quantity));
      n.setAttribute("data-quantity", it.id);
      var plus = el("button", "+");
      plus.type = "button";
      plus.setAttribute("aria-label", "Mais " + it.name);
      plus.setAttribute("data-qty", i + ":1");
      q.append(minus, " ", n, " ", plus);
      tr.appendChild(q);
      tr.appendChild(el("td", money(it.price * it.quantity)));
      return tr;
    });
    $("items").replaceChildren.apply($("items"), rows);
    var sub = total(of, "Items"), disc = total(of, "Discounts");
    $("subtotal").textContent = money(sub);
    $("subtotal").setAttribute("data-cart-subtotal", (sub / 100).toFixed(2));
    $("discount").textContent = money(disc);
    $("discount").setAttribute("data-cart-discount", (-disc / 100).toFixed(2));
    $("total").textContent = money(of.value);
    $("total").setAttribute("data-cart-total", (of.value / 100).toFixed(2));
    var coupon = (of.marketingData && of.marketingData.coupon) || "";
    $("coupon").textContent = coupon || "–";
    $("coupon").setAttribute("data-cart-coupon", coupon);
    $("cart-message").textContent = (of.messages || []).map(function (m) { return m.text; }).join(" ");
  }

  window.addEventListener("orderFormUpdated.vtex", function (e) { render(e.detail); });

  $("items").addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button[data-qty]") : null;
    if (!b) return;
    var parts = b.getAttribute("data-qty").split(":");
    var i = +parts[0];
    var current = +document.querySelectorAll("[data-quantity]")[i].textContent;
    var qty = Math.max(0, current + +parts[1]);
    checkout.updateItems([{ index: i, quantity: qty }]).catch(function () {});
  });

  $("place-order").addEventListener("click", function () {
    checkout.finish().then(function (r) {
      $("order-status").textContent = "Pedido " + r.orderId + " realizado! Total: " + money(r.total);
      $("order-status").setAttribute("data-order-placed", r.orderId);
    }).catch(function () {
      $("order-status").textContent = "Não foi possível finalizar agora.";
    });
  });

  checkout.getOrderForm().catch(function () {});
})();
