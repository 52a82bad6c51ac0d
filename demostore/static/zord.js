// A stand-in for a Magazord theme's cart script (its global is Zord; public theme scripts of
// Magazord stores call Zord.checkout.addCupomDesconto(), removeCupomDesconto(),
// adicionaQuantidade(id), removeQuantidade(id) and deleteItem(id), and read the cart back from
// the page). Magazord's own calls go to /checkout/cart?operation=... and answer HTML; this demo
// keeps one cart API, the orderForm's, and renders the page the theme's way: the cart rows, and
// #resumo-compra built anew after every call. Text only, no HTML strings (Trusted Types).
(function () {
  "use strict";
  var API = "/api/checkout/pub/orderForm";
  var fmt = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
  var of = null;
  function $(sel) { return document.querySelector(sel); }
  function money(cents) { return fmt.format(cents / 100); }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (kids || []).forEach(function (k) { if (k !== null) e.append(k); });
    return e;
  }
  function total(id) {
    var t = (of.totalizers || []).filter(function (x) { return x.id === id; })[0];
    return t ? t.value : 0;
  }
  function call(path, body) {
    return fetch(API + "/" + of.orderFormId + path, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then(function (r) { return r.json(); }).then(render, function () {});
  }

  function render(next) {
    of = next;
    var list = $("#items");
    list.replaceChildren.apply(list, of.items.map(function (it, i) {
      return el("div", { class: "cart-item", "data-item-id": it.id, "data-item-price": (it.price / 100).toFixed(2),
        "data-valor": (it.price * it.quantity / 100).toFixed(2), "data-item-quantity": String(it.quantity) }, [
        el("span", { class: "nome-produto" }, [it.name]),
        el("span", { class: "qtd" }, [
          el("button", { type: "button", "aria-label": "Menos " + it.name, "data-qty": i + ":-1" }, ["−"]),
          " ", el("span", { "data-quantity": it.id }, [String(it.quantity)]), " ",
          el("button", { type: "button", "aria-label": "Mais " + it.name, "data-qty": i + ":1" }, ["+"]),
        ]),
        el("span", { class: "column-valor-produto" }, [el("span", { class: "valor" }, [money(it.price * it.quantity)])]),
      ]);
    }));
    var coupon = (of.marketingData && of.marketingData.coupon) || "";
    var msgs = (of.messages || []).map(function (m) { return m.text; }).join(" ");
    var resumo = $("#resumo-compra");
    resumo.replaceChildren(
      el("div", { class: "resumo-valores" }, [el("span", { class: "label" }, ["Subtotal"]), " ",
        el("span", { class: "value", id: "subtotal", "data-cart-subtotal": (total("Items") / 100).toFixed(2) }, [money(total("Items"))])]),
      // The theme shows the discount line only while something is taken off: no "-R$ 0,00" once a
      // coupon is removed.
      el("div", total("Discounts") ? { class: "resumo-desconto" } : { class: "resumo-desconto", hidden: "" }, [
        el("span", { class: "label" }, ["Desconto"]), " ", el("span", { class: "discount-value" }, [money(-total("Discounts"))])]),
      el("div", { class: "cupom" }, [el("label", { for: "cupom-desconto" }, ["Cupom de desconto"]), " ",
        el("input", { id: "cupom-desconto", autocomplete: "off" }), " ", el("button", { type: "button", class: "btn-cupom" }, ["Aplicar"])]),
      el("div", coupon ? { class: "txt-cupom" } : { class: "txt-cupom", hidden: "" }, ["Cupom aplicado: ",
        el("strong", { id: "coupon", "data-cart-coupon": coupon }, [coupon]), " ", el("button", { type: "button", class: "remove-cupom" }, ["Remover cupom"])]),
      el("p", { class: "msg-cupom msg", role: "status" }, [msgs]),
      el("div", { class: "valor-total" }, [el("span", { class: "label" }, ["Total"]), " ",
        el("span", { class: "value", id: "total", "data-cart-total": (of.value / 100).toFixed(2) }, [money(of.value)])]),
      el("button", { type: "button", id: "finalizar-compra" }, ["Finalizar compra"]));
  }

  window.Zord = {
    checkout: {
      // The theme's coupon button calls this: it applies the code typed in #cupom-desconto.
      addCupomDesconto: function () { call("/coupons", { text: ($("#cupom-desconto").value || "").trim() }); },
      removeCupomDesconto: function () { call("/coupons", { text: "" }); },
      adicionaQuantidade: function (i) { call("/items/update/", { orderItems: [{ index: i, quantity: of.items[i].quantity + 1 }] }); },
      removeQuantidade: function (i) { call("/items/update/", { orderItems: [{ index: i, quantity: Math.max(0, of.items[i].quantity - 1) }] }); },
    },
  };

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button");
    if (!b || !of) return;
    if (b.hasAttribute("data-qty")) {
      var p = b.getAttribute("data-qty").split(":");
      (+p[1] > 0 ? Zord.checkout.adicionaQuantidade : Zord.checkout.removeQuantidade)(+p[0]);
    } else if (b.classList.contains("btn-cupom")) Zord.checkout.addCupomDesconto();
    else if (b.classList.contains("remove-cupom")) Zord.checkout.removeCupomDesconto();
    else if (b.id === "finalizar-compra") {
      var cartId = of.orderFormId;
      fetch(API + "/" + cartId + "/finish", { method: "POST", credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (r) {
          $("#order-status").textContent = "Pedido " + r.orderId + " realizado! Total: " + money(r.total) + (r.dropped ? " (" + r.dropped + ")" : "");
          $("#order-status").setAttribute("data-order-placed", r.orderId);
          // The store's confirmation tells the widget the order of its cart is placed: that cart
          // id (the page's data-cart-id) is never used again. The next page has the new cart's.
          if (window.LoyaltyWidget && window.LoyaltyWidget.orderPlaced) window.LoyaltyWidget.orderPlaced(cartId);
          render(r.orderForm);
        });
    }
  });

  fetch(API, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(render);
})();
