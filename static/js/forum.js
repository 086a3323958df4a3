// Small behaviours on top of htmx. No inline script is allowed by the Content-Security-Policy,
// so everything the pages need lives here.
(function () {
  "use strict";

  // Send the CSRF token with every htmx request that changes something.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail.verb !== "get") {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });
})();
