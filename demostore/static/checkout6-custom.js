// checkout6-custom.js: a store's own script in VTEX's checkout (Admin > Store Settings >
// Checkout > Code), the one way into it. It adds the loyalty widget: a mount point at the top
// of the order summary, created again whenever the checkout (a single-page app) re-renders the
// summary, and the widget's script tag, once. The widget follows its mount point by itself.
(function () {
  "use strict";
  var WIDGET = {{.WidgetSrc}}; // https://BFF/widget.js
  var TENANT = {{.Tenant}}; // the store's public key

  function mountPoint() {
    if (document.getElementById("loyalty-widget")) return;
    var summary = document.querySelector(".summary-template-holder");
    if (!summary) return;
    var div = document.createElement("div");
    div.id = "loyalty-widget";
    summary.insertBefore(div, summary.firstChild);
  }
  mountPoint();
  new MutationObserver(mountPoint).observe(document.documentElement, { childList: true, subtree: true });

  if (document.querySelector("script[data-loyalty-widget]")) return;
  var s = document.createElement("script");
  // A page that enforces Trusted Types takes a script URL only through a policy.
  var tt = window.trustedTypes && window.trustedTypes.createPolicy("loyalty-widget", {
    createScriptURL: function (u) {
      if (u !== WIDGET) throw new TypeError("loyalty-widget policy: only the widget's URL");
      return u;
    },
  });
  s.src = tt ? tt.createScriptURL(WIDGET) : WIDGET;
  s.async = true;
  s.setAttribute("data-loyalty-widget", "");
  s.setAttribute("data-tenant", TENANT);
  s.setAttribute("data-platform", "vtex");
  document.head.appendChild(s);
})();
