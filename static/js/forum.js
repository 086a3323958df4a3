// Small behaviours on top of htmx. No inline script is allowed by the Content-Security-Policy,
// so everything the pages need lives here. Every page works without it.
(function () {
  "use strict";

  // Send the CSRF token with every htmx request that changes something.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail.verb !== "get") {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // "Posting as": the name beside a form's submit button follows its "anonymously" box.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('input[type="checkbox"][name="anonymous"]') || !box.form) {
      return;
    }
    box.form.querySelectorAll("[data-posting]").forEach(function (name) {
      name.hidden = (name.getAttribute("data-posting") === "anonymous") !== box.checked;
    });
  });

  // Type-ahead for topic checkboxes: typing in a filter box hides the options that do not match.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-filter]")) {
      return;
    }
    var query = input.value.trim().toLowerCase();
    var scope = input.closest("fieldset") || document;
    scope.querySelectorAll(input.getAttribute("data-filter")).forEach(function (option) {
      var name = (option.getAttribute("data-name") || option.textContent).toLowerCase();
      var checked = option.querySelector("input:checked");
      option.hidden = query !== "" && name.indexOf(query) === -1 && !checked;
    });
  });
})();
